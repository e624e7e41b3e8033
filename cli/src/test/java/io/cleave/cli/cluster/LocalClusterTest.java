package io.cleave.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.cli.CliRun;
import io.cleave.client.JsonText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A real two-node cluster on this machine: {@code cleave cluster up} as its own process (it must
 * return while the nodes run), both APIs from the host, a write on node 1 read on node 2, one seed
 * on node 1 whose children node 2 restores across the bridge (remote fork), a crash drill, and
 * {@code down} leaving no process, namespace, link, cgroup or mount behind. Needs root.
 */
class LocalClusterTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  /** The admin key of the cluster under test, which `up` wrote to DIR/admin.key. */
  private static String adminKey;

  @Test
  void twoNodesFormOneClusterSurviveAKilledNodeAndLeaveNothingBehind() throws Exception {
    assumeTrue(Privileges.effectiveUid() == 0, "cleave cluster needs root (network namespaces, bridge, cgroups)");
    Path dir = Files.createTempDirectory("cleave-cluster-");
    ClusterLayout layout = ClusterLayout.of(dir);
    try {
      CliRun up = cliProcess(150, "cluster", "up", "--nodes", "2", "--dir", dir.toString());
      assertEquals(0, up.exit(), up::toString);
      assertTrue(up.err().contains("all 2 nodes up, each lists 2 members"), up::toString);
      assertTrue(up.out().contains("cluster " + layout.clusterName() + " is up"), up::toString);
      adminKey = layout.adminKey();

      JsonNode described = JsonText.parse(Files.readString(dir.resolve("cluster.json")));
      assertEquals(layout.clusterName(), described.path("name").asText());
      String node1 = described.path("nodes").get(0).path("api_url").asText();
      String node2 = described.path("nodes").get(1).path("api_url").asText();
      long pid2 = described.path("nodes").get(1).path("pid").asLong();
      assertTrue(node1.startsWith("http://10.") && node2.startsWith("http://10.") && !node1.equals(node2), described::toString);

      // The nodes outlived the up process, and each API answers from the host with both members.
      assertEquals(2, members(node1), "node1's /cleave/v1/cluster");
      assertEquals(2, members(node2), "node2's /cleave/v1/cluster");
      JsonNode status = statusJson(dir);
      for (JsonNode n : status) {
        assertEquals("up", n.path("state").asText(), status::toString);
        assertEquals(2, n.path("members").asInt(), status::toString);
        assertTrue(n.path("pid").asLong() > 0, status::toString);
      }
      CliRun table = CliRun.run("cluster", "status", "--dir", dir.toString());
      assertTrue(table.out().lines().anyMatch(l -> l.startsWith("node2 ") && l.contains(node2) && l.contains(" up ")), table::toString);

      CliRun created = CliRun.run("create", "app", "written-on-node1", "--api-url", node1, "--api-key", adminKey);
      assertEquals(0, created.exit(), created::toString);
      String seenOnNode2 = within(10, "the app on node2", () -> {
        CliRun list = CliRun.run("list", "apps", "--api-url", node2, "--api-key", adminKey);
        return list.exit() == 0 && list.out().contains("written-on-node1") ? list.out() : null;
      });
      assertTrue(seenOnNode2.lines().anyMatch(l -> l.startsWith("written-on-node1 ")), seenOnNode2);

      // One seed for the cluster: the first call (on node 1) starts cold and makes it; node 2 restores
      // children of it across the bridge (remote fork) instead of starting its own.
      Path fnDir = Files.createDirectories(dir.resolve("fn-sleepy"));
      Files.writeString(fnDir.resolve("func.yaml"), "schema_version: 20180708\nname: sleepy\nversion: 0.0.1\n"
          + "runtime: python\nentrypoint: /python/bin/fdk /function/func.py handler\nmemory: 128\n");
      Files.writeString(fnDir.resolve("func.py"), "import time\n\n\ndef handler(ctx, data=None):\n"
          + "    time.sleep(float(data.getvalue().decode() or '0'))\n    return 'slept'\n");
      CliRun deployed = CliRun.run("deploy", "--app", "written-on-node1", "--api-url", node1, "--api-key", adminKey, "--no-bump", fnDir.toString());
      assertEquals(0, deployed.exit(), deployed::toString);
      String fnId = JsonText.parse(CliRun.run("inspect", "fn", "written-on-node1", "sleepy", "--api-url", node1, "--api-key", adminKey).out())
          .path("id").asText();
      assertEquals("cold", startMode(node1, fnId, "0"));
      List<String> node2Modes = new ArrayList<>();
      within(60, "a remote fork on node2", () -> {
        // Each burst outnumbers the instances node2 already has, so it must start some.
        List<java.util.concurrent.CompletableFuture<String>> burst = new ArrayList<>();
        for (int i = 0; i < node2Modes.size() + 2; i++) {
          burst.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> startMode(node2, fnId, "1")));
        }
        burst.forEach(f -> node2Modes.add(f.join()));
        return node2Modes.contains("remote-fork") ? "" : null;
      });

      // Each forkd records its cgroups (one per hierarchy); after SIGKILL only down removes them.
      List<Path> cgroups = new ArrayList<>();
      for (int k = 1; k <= 2; k++) {
        List<Path> recorded = new ForkdCgroups(layout.dataDir(k)).dirs();
        assertFalse(recorded.isEmpty(), "node" + k + "'s forkd recorded no cgroup");
        cgroups.addAll(recorded);
      }

      CliRun kill = CliRun.run("cluster", "kill-node", "2", "--dir", dir.toString());
      assertEquals(0, kill.exit(), kill::toString);
      assertTrue(kill.out().startsWith("node2: killed "), kill::toString);
      assertFalse(NodeProcesses.alive(pid2), "node2's server after kill-node");
      assertEquals("", ip("netns", "pids", layout.namespace(2)).strip(), "processes left in node2's namespace");
      within(60, "node1 to report 1 member", () -> members(node1) == 1 ? "" : null);
      JsonNode afterKill = statusJson(dir);
      assertEquals("down", afterKill.get(1).path("state").asText(), afterKill::toString);
      assertEquals(1, afterKill.get(0).path("members").asInt(), afterKill::toString);

      CliRun down = CliRun.run("cluster", "down", "--dir", dir.toString());
      assertEquals(0, down.exit(), down::toString);
      assertTrue(down.out().contains("is down"), down::toString);
      assertNothingLeft(layout, cgroups);
      CliRun again = CliRun.run("cluster", "down", "--dir", dir.toString());
      assertEquals(0, again.exit(), again::toString);
      assertTrue(again.out().contains("nothing to remove"), again::toString);
    } finally {
      CliRun.run("cluster", "down", "--dir", dir.toString(), "--grace", "0");
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static void assertNothingLeft(ClusterLayout layout, List<Path> cgroups) {
    String namespaces = ip("netns", "list");
    assertFalse(namespaces.contains(layout.clusterName()), namespaces);
    String links = ip("-o", "link", "show");
    assertFalse(links.contains(layout.bridge()), links);
    assertFalse(links.contains("cv-" + layout.tag() + "-"), links);
    for (Path cgroup : cgroups) {
      assertFalse(Files.exists(cgroup), () -> "cgroup " + cgroup + " is left");
    }
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      List<String> left = procs.filter(p -> p.getFileName().toString().matches("\\d+"))
          .map(p -> String.join(" ", NodeProcesses.commandLine(Long.parseLong(p.getFileName().toString()))))
          .filter(cmd -> cmd.contains(layout.dir() + "/node"))
          .toList();
      assertEquals(List.of(), left, "processes of the cluster still running");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    assertEquals(List.of(), ClusterTeardown.mountsUnder(layout.dir() + "/"));
    assertEquals(List.of(), ClusterTeardown.mountsUnder("/run/netns/" + layout.clusterName()));
    assertFalse(Files.exists(layout.stateFile()), "cluster.json after down");
  }

  private static JsonNode statusJson(Path dir) throws IOException {
    CliRun r = CliRun.run("cluster", "status", "--dir", dir.toString(), "-o", "json");
    assertEquals(0, r.exit(), r::toString);
    JsonNode nodes = JsonText.parse(r.out());
    assertEquals(2, nodes.size(), r::toString);
    assertEquals("node1", nodes.get(0).path("name").asText());
    assertEquals("node2", nodes.get(1).path("name").asText());
    return nodes;
  }

  /** Invokes the function through the node's API and answers how its instance started (Cleave-Start-Mode). */
  private static String startMode(String apiUrl, String fnId, String body) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(apiUrl + "/invoke/" + fnId))
          .header("Authorization", "Bearer " + adminKey).timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      return r.headers().firstValue("Cleave-Start-Mode").orElse("");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** How many members the node's API lists; -1 when it does not answer. */
  private static int members(String apiUrl) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(apiUrl + "/cleave/v1/cluster"))
          .header("Authorization", "Bearer " + adminKey).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JsonText.parse(r.body()).path("members").size() : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Polls until the supplier answers non-null, at most {@code seconds}. */
  private static String within(int seconds, String what, Supplier<String> probe) {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      String value = probe.get();
      if (value != null) {
        return value;
      }
      LockSupport.parkNanos(200_000_000L);
    }
    throw new AssertionError("waited " + seconds + " s for " + what);
  }

  private static String ip(String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    HostCommand.Result r = HostCommand.run(cmd);
    assertEquals(0, r.exit(), () -> cmd + ": " + r.err());
    return r.out();
  }

  /** The CLI as its own JVM, the way the launcher runs it, with the repository as CLEAVE_HOME. */
  private static CliRun cliProcess(long timeoutSeconds, String... args) throws Exception {
    Path repo = Path.of(System.getProperty("cleave.repo", Path.of("..").toAbsolutePath().normalize().toString()));
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath, "io.cleave.cli.Main"));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("cleave-cluster-cli-", ".out");
    Path err = Files.createTempFile("cleave-cluster-cli-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().put("CLEAVE_HOME", repo.toString());
      Process p = pb.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("cleave " + String.join(" ", args) + " still running after " + timeoutSeconds + " s:\n"
            + Files.readString(out) + Files.readString(err));
      }
      return new CliRun(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
