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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real three-node cluster on this machine: {@code cleave cluster up} as its own process (it must
 * return while the nodes run), every node's API from the host, a write on node 1 read on node 2,
 * and the cluster's failure drills through the nodes' HTTP APIs: one seed on node 1 whose children
 * the other nodes restore across the bridge (remote fork), forwarding refused without the
 * cluster's secret, two nodes racing to elect a seed, node 1's page server killed and a seed
 * revoked while remote children are lazy and busy, the seed's node killed mid-burst, and
 * {@code down} leaving no process, namespace, link, cgroup or mount behind. Needs root.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LocalClusterTest {
  /** HTTP/1.1: a connection per call in flight, as independent callers would have (no shared stream limit). */
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private static final int NODES = 3;
  /** Functions whose first calls race on two nodes at once. */
  private static final int RACERS = 4;
  /** Each call of a burst on a thread of its own, so they all reach the nodes at once. */
  private static final ExecutorService CALLERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "cluster-call");
    t.setDaemon(true);
    return t;
  });
  /** Sleeps as long as its body says, then names the config it runs with: a child of the wrong version answers another V. */
  private static final String SLEEPY = "import os\nimport time\n\n\ndef handler(ctx, data=None):\n"
      + "    time.sleep(float(data.getvalue().decode() or '0'))\n    return 'slept ' + os.environ.get('V', '1')\n";
  /** The admin key of the cluster under test, which `up` wrote to DIR/admin.key. */
  private static String adminKey;

  @Test
  void threeNodesShareOneSeedSurviveFailuresAndLeaveNothingBehind() throws Exception {
    assumeTrue(Privileges.effectiveUid() == 0, "cleave cluster needs root (network namespaces, bridge, cgroups)");
    Path dir = Files.createTempDirectory("cleave-cluster-");
    ClusterLayout layout = ClusterLayout.of(dir);
    try {
      CliRun up = cliProcess(150, "cluster", "up", "--nodes", Integer.toString(NODES), "--dir", dir.toString());
      assertEquals(0, up.exit(), up::toString);
      assertTrue(up.err().contains("all 3 nodes up, each lists 3 members"), up::toString);
      assertTrue(up.out().contains("cluster " + layout.clusterName() + " is up"), up::toString);
      adminKey = layout.adminKey();

      JsonNode described = JsonText.parse(Files.readString(dir.resolve("cluster.json")));
      assertEquals(layout.clusterName(), described.path("name").asText());
      List<String> apis = new ArrayList<>();
      for (JsonNode n : described.path("nodes")) {
        apis.add(n.path("api_url").asText());
      }
      assertEquals(NODES, apis.size(), described::toString);
      assertTrue(apis.stream().allMatch(a -> a.startsWith("http://10.")) && Set.copyOf(apis).size() == NODES,
          described::toString);
      String node1 = apis.get(0);
      String node2 = apis.get(1);
      String node3 = apis.get(2);

      // The nodes outlived the up process, and each API answers from the host with every member.
      for (String api : apis) {
        assertEquals(NODES, members(api), api + "/cleave/v1/cluster");
      }
      JsonNode status = statusJson(dir);
      for (JsonNode n : status) {
        assertEquals("up", n.path("state").asText(), status::toString);
        assertEquals(NODES, n.path("members").asInt(), status::toString);
        assertTrue(n.path("pid").asLong() > 0, status::toString);
      }
      CliRun table = CliRun.run("cluster", "status", "--dir", dir.toString());
      assertTrue(table.out().lines().anyMatch(l -> l.startsWith("node3 ") && l.contains(node3) && l.contains(" up ")),
          table::toString);

      CliRun created = CliRun.run("create", "app", "written-on-node1", "--api-url", node1, "--api-key", adminKey);
      assertEquals(0, created.exit(), created::toString);
      String seenOnNode2 = within(10, "the app on node2", () -> {
        CliRun list = CliRun.run("list", "apps", "--api-url", node2, "--api-key", adminKey);
        return list.exit() == 0 && list.out().contains("written-on-node1") ? list.out() : null;
      });
      assertTrue(seenOnNode2.lines().anyMatch(l -> l.startsWith("written-on-node1 ")), seenOnNode2);

      String fnId = deploy(dir, node1, "written-on-node1", "sleepy", SLEEPY);

      // One seed for the cluster: the first call (on node 1) starts cold and makes it; concurrent
      // calls on node 1 fork it, and the other nodes restore children of it across the bridge.
      assertEquals("cold", startMode(node1, fnId, "0"));
      burstsUntil(node1, fnId, "fork", Set.of("cold", "fork", "warm"), "1");
      for (String other : List.of(node2, node3)) {
        Call remote = burstsUntil(other, fnId, "remote-fork", Set.of("remote-fork", "warm"), "1");
        JsonNode activation = get(other + "/cleave/v1/activations/" + remote.callId());
        assertEquals("node1", activation.path("seed_node").asText(), activation::toString);
        assertEquals(ClusterLayout.nodeName(apis.indexOf(other) + 1), activation.path("node").asText(),
            activation::toString);
      }
      assertEquals(List.of(1, 0, 0), seedsByNode(node2), "node 1 holds the cluster's one seed");

      // A real node's internal route takes forwarded calls from members only.
      assertEquals(401, forward(node2, fnId, null).statusCode(), "forwarding without the cluster secret");
      assertEquals(403, forward(node2, fnId, "not-the-secret").statusCode(), "forwarding with a wrong secret");

      racingNodesElectOneSeed(apis, fnId);
      pageServerKilledMidRestore(layout, apis, fnId);
      seedRevokedWhileChildrenAreLazy(apis, fnId);

      // Each forkd records its cgroups (one per hierarchy); after SIGKILL only down removes them.
      List<Path> cgroups = new ArrayList<>();
      for (int k = 1; k <= NODES; k++) {
        List<Path> recorded = new ForkdCgroups(layout.dataDir(k)).dirs();
        assertFalse(recorded.isEmpty(), "node" + k + "'s forkd recorded no cgroup");
        cgroups.addAll(recorded);
      }
      seedNodeKilledMidBurst(dir, layout, apis, fnId);

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

  /**
   * The first calls of new functions reach node 2 and node 3 at the same instant: of each pair of
   * nodes electing a function's seed at once, one keeps it. Several functions race at once (each
   * its own seed), since the claims only meet when both calls arrive before either node sees the
   * other's claim, a window of milliseconds.
   */
  private static void racingNodesElectOneSeed(List<String> apis, String fnId) throws Exception {
    JsonNode sleepy = get(apis.get(0) + "/v2/fns/" + fnId);
    List<String> racers = new ArrayList<>();
    for (int i = 1; i <= RACERS; i++) {
      HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(apis.get(0) + "/v2/fns"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
              "{\"app_id\":\"" + sleepy.path("app_id").asText() + "\",\"name\":\"racer" + i + "\",\"image\":\""
              + sleepy.path("image").asText() + "\",\"memory\":128}")));
      assertEquals(200, created.statusCode(), created.body());
      racers.add(json(created.body()).path("id").asText());
    }
    for (String api : apis.subList(1, 3)) {
      for (String racer : racers) {
        within(10, "racer " + racer + " on " + api, () -> send(HttpRequest.newBuilder(URI.create(api + "/v2/fns/" + racer)))
            .statusCode() == 200 ? "" : null);
      }
    }
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<Call>> first = new ArrayList<>();
    for (String racer : racers) {
      for (String api : apis.subList(1, 3)) {
        first.add(CompletableFuture.supplyAsync(() -> {
          awaitQuietly(go);
          return call(api, racer, "0");
        }, CALLERS));
      }
    }
    go.countDown();
    for (CompletableFuture<Call> c : first) {
      Call answered = c.get(60, TimeUnit.SECONDS);
      assertEquals(200, answered.status(), answered::toString);
    }
    int seeds = 1 + RACERS;
    within(30, "the racers' seeds", () -> seedsByNode(apis.get(0)).stream().mapToInt(Integer::intValue).sum() >= seeds
        ? "" : null);
    // A loser's seed would be up by now; loads are published every second.
    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3));
    List<Integer> byNode = seedsByNode(apis.get(0));
    assertEquals(seeds, byNode.stream().mapToInt(Integer::intValue).sum(), "one seed per function: " + byNode);
    assertEquals(1, byNode.get(0), "node 1 keeps sleepy's seed and holds none of the racers': " + byNode);
    for (String racer : racers) {
      assertEquals(204, send(HttpRequest.newBuilder(URI.create(apis.get(0) + "/v2/fns/" + racer)).DELETE()).statusCode());
    }
    within(30, "the racers' seeds to go", () -> seedsByNode(apis.get(0)).equals(List.of(1, 0, 0)) ? "" : null);
  }

  /**
   * Node 1's page server dies while node 2 and node 3 run calls in lazy children of its seed: the
   * children die with it and their calls start another way; forkd restarts the page server, and
   * once the seed's new handle is published the other nodes restore children of it again.
   */
  private static void pageServerKilledMidRestore(ClusterLayout layout, List<String> apis, String fnId) {
    List<CompletableFuture<Call>> inFlight = burst(apis.subList(1, 3), fnId, "2", 2);
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(700));
    long pageServer = pageServerPid(layout, 1);
    assertTrue(ProcessHandle.of(pageServer).map(ProcessHandle::destroyForcibly).orElse(false), "kill -9 page server");
    for (CompletableFuture<Call> c : inFlight) {
      Call answered = c.join();
      assertEquals(200, answered.status(), () -> "a call in flight when the page server died: " + answered);
      assertEquals("slept 1", answered.body(), answered::toString);
    }
    within(20, "node 1's page server back", () -> pageServerPid(layout, 1) != pageServer ? "" : null);
    for (String other : apis.subList(1, 3)) {
      burstsUntil(other, fnId, "remote-fork", Set.of("remote-fork", "cold", "warm"), "1");
    }
  }

  /**
   * The function changes while node 2 and node 3 run calls in lazy children of node 1's seed: the
   * seed retires and its handle is revoked, the children die cleanly and their calls run again;
   * no call is answered from a wrong version or from pages nobody serves.
   */
  private static void seedRevokedWhileChildrenAreLazy(List<String> apis, String fnId) throws Exception {
    List<CompletableFuture<Call>> inFlight = burst(apis.subList(1, 3), fnId, "2", 1);
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(700));
    HttpResponse<String> updated = send(HttpRequest.newBuilder(URI.create(apis.get(0) + "/v2/fns/" + fnId))
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"config\":{\"V\":\"2\"}}")));
    assertEquals(200, updated.statusCode(), updated.body());
    for (CompletableFuture<Call> c : inFlight) {
      Call answered = c.join();
      assertEquals(200, answered.status(), () -> "a call in flight when the seed was revoked: " + answered);
      assertTrue(Set.of("slept 1", "slept 2").contains(answered.body()), answered::toString);
    }
    for (String api : apis) {
      within(10, "the new version on " + api, () -> "slept 2".equals(call(api, fnId, "0").body()) ? "" : null);
    }
    for (CompletableFuture<Call> c : burst(apis, fnId, "1", 0)) {
      Call answered = c.join();
      assertEquals(200, answered.status(), answered::toString);
      assertEquals("slept 2", answered.body(), answered::toString);
    }
    within(30, "the new version's one seed", () -> seedsByNode(apis.get(0)).stream().mapToInt(Integer::intValue).sum()
        == 1 ? "" : null);
  }

  /**
   * kill-node of the node holding the seed while calls run on every node: the calls on it fail,
   * no other does (children of its seed on the others die and their calls start another way), the
   * survivors see the member leave, the next starts elect one new seed on a survivor.
   */
  private static void seedNodeKilledMidBurst(Path dir, ClusterLayout layout, List<String> apis, String fnId) {
    List<Integer> seeds = seedsByNode(apis.get(0));
    int holder = seeds.indexOf(1) + 1;
    assertTrue(holder > 0 && seedsBySurvivor(apis.get(0)) == 1, "one node holds the seed: " + seeds);
    String dead = apis.get(holder - 1);
    List<String> survivors = apis.stream().filter(a -> !a.equals(dead)).toList();
    for (String survivor : survivors) {
      burstsUntil(survivor, fnId, "remote-fork", Set.of("remote-fork", "cold", "fork", "warm"), "1");
    }
    long pid = statusJson(dir).get(holder - 1).path("pid").asLong();
    List<CompletableFuture<Call>> onDead = burst(List.of(dead), fnId, "3", 0);
    List<CompletableFuture<Call>> onSurvivors = burst(survivors, fnId, "3", 0);
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1000));
    CliRun kill = CliRun.run("cluster", "kill-node", Integer.toString(holder), "--dir", dir.toString());
    assertEquals(0, kill.exit(), kill::toString);
    assertTrue(kill.out().startsWith("node" + holder + ": killed "), kill::toString);
    for (CompletableFuture<Call> c : onDead) {
      Call failed = c.join();
      assertTrue(failed.status() == 502 || failed.status() == -1, () -> "a call on the killed node: " + failed);
    }
    for (CompletableFuture<Call> c : onSurvivors) {
      Call answered = c.join();
      assertEquals(200, answered.status(), () -> "a call on a survivor when the seed's node died: " + answered);
      assertEquals("slept 2", answered.body(), answered::toString);
    }
    assertFalse(NodeProcesses.alive(pid), "the killed node's server");
    assertEquals("", ip("netns", "pids", layout.namespace(holder)).strip(), "processes left in the killed node's namespace");
    for (String survivor : survivors) {
      within(60, survivor + " to report " + (NODES - 1) + " members", () -> members(survivor) == NODES - 1 ? "" : null);
    }
    JsonNode afterKill = statusJson(dir);
    assertEquals("down", afterKill.get(holder - 1).path("state").asText(), afterKill::toString);
    // The next starts on the survivors elect a new seed there: exactly one in the cluster.
    String survivor = survivors.get(0);
    within(60, "a new seed on a survivor", () -> {
      for (CompletableFuture<Call> c : burst(survivors, fnId, "1", 1)) {
        Call answered = c.join();
        assertEquals(200, answered.status(), answered::toString);
        assertEquals("slept 2", answered.body(), answered::toString);
      }
      return seedsBySurvivor(survivor) == 1 ? "" : null;
    });
    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
    assertEquals(1, seedsBySurvivor(survivor), "exactly one seed among the survivors");
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

  private static JsonNode statusJson(Path dir) {
    CliRun r = CliRun.run("cluster", "status", "--dir", dir.toString(), "-o", "json");
    assertEquals(0, r.exit(), r::toString);
    JsonNode nodes = json(r.out());
    assertEquals(NODES, nodes.size(), r::toString);
    for (int k = 1; k <= NODES; k++) {
      assertEquals("node" + k, nodes.get(k - 1).path("name").asText(), r::toString);
    }
    return nodes;
  }

  /** One call's answer as the host saw it; status -1 when the connection failed. */
  private record Call(String api, int status, String mode, String body, String callId) {}

  /** Invokes the function through the node's API. */
  private static Call call(String apiUrl, String fnId, String body) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(apiUrl + "/invoke/" + fnId))
          .header("Authorization", "Bearer " + adminKey).timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Call(apiUrl, r.statusCode(), r.headers().firstValue("Cleave-Start-Mode").orElse(""), r.body(),
          r.headers().firstValue("Fn-Call-Id").orElse(""));
    } catch (IOException e) {
      return new Call(apiUrl, -1, "", e.toString(), "");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Invokes the function and answers how its instance started (Cleave-Start-Mode); the call must succeed. */
  private static String startMode(String apiUrl, String fnId, String body) {
    Call c = call(apiUrl, fnId, body);
    assertEquals(200, c.status(), c::toString);
    return c.mode();
  }

  /**
   * Concurrent calls on each node, {@code extra} more than the instances it has: with one call per
   * instance at a time they occupy every instance there, and at least {@code extra} must start
   * (the count is the node's last published load, at most a second old, and never lower than what
   * it counts as alive).
   */
  private static List<CompletableFuture<Call>> burst(List<String> apis, String fnId, String body, int extra) {
    List<CompletableFuture<Call>> calls = new ArrayList<>();
    for (String api : apis) {
      for (int i = 0; i < instances(api) + extra; i++) {
        calls.add(CompletableFuture.supplyAsync(() -> call(api, fnId, body), CALLERS));
      }
    }
    return calls;
  }

  /** Instances the node has (starting, idle or busy), as its own cluster view shows its load. */
  private static int instances(String api) {
    for (JsonNode m : get(api + "/cleave/v1/cluster").path("members")) {
      if (m.path("local").asBoolean()) {
        return m.path("starting").asInt() + m.path("idle").asInt() + m.path("busy").asInt();
      }
    }
    throw new AssertionError(api + " does not list itself among the members");
  }

  /** Bursts on the node until a call reports {@code mode}; every call succeeds and reports one of {@code allowed}. */
  private static Call burstsUntil(String api, String fnId, String mode, Set<String> allowed, String body) {
    List<Call> seen = new ArrayList<>();
    within(60, mode + " on " + api, () -> {
      for (CompletableFuture<Call> c : burst(List.of(api), fnId, body, 2)) {
        Call answered = c.join();
        assertEquals(200, answered.status(), answered::toString);
        seen.add(answered);
      }
      return seen.stream().anyMatch(c -> c.mode().equals(mode)) ? "" : null;
    });
    List<String> modes = seen.stream().map(Call::mode).toList();
    assertTrue(allowed.containsAll(modes), () -> api + " started " + modes + ", expected only " + allowed);
    return seen.stream().filter(c -> c.mode().equals(mode)).findFirst().orElseThrow();
  }

  /** Deploys a one-file function from the host through {@code api}; answers its id. */
  private static String deploy(Path dir, String api, String app, String name, String code) throws IOException {
    Path fnDir = Files.createDirectories(dir.resolve("fn-" + name));
    Files.writeString(fnDir.resolve("func.yaml"), "schema_version: 20180708\nname: " + name + "\nversion: 0.0.1\n"
        + "runtime: python\nentrypoint: /python/bin/fdk /function/func.py handler\nmemory: 128\n");
    Files.writeString(fnDir.resolve("func.py"), code);
    CliRun deployed = CliRun.run("deploy", "--app", app, "--api-url", api, "--api-key", adminKey, "--no-bump",
        fnDir.toString());
    assertEquals(0, deployed.exit(), deployed::toString);
    return JsonText.parse(CliRun.run("inspect", "fn", app, name, "--api-url", api, "--api-key", adminKey).out())
        .path("id").asText();
  }

  /** A call as a member would forward it to the node's internal route, with {@code secret} (none when null). */
  private static HttpResponse<String> forward(String api, String fnId, String secret) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api + "/cleave/v1/internal/calls/" + fnId))
        .POST(HttpRequest.BodyPublishers.ofString("0"));
    if (secret != null) {
      b.header("Cleave-Cluster-Secret", secret);
    }
    return send(b);
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return HTTP.send(request.header("Authorization", "Bearer " + adminKey).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode get(String url) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url)));
    assertEquals(200, r.statusCode(), () -> url + ": " + r.body());
    return json(r.body());
  }

  private static JsonNode json(String text) {
    try {
      return JsonText.parse(text);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Ready seeds of node1..node3 as {@code api}'s cluster view shows their last published loads (0 for a node it lacks). */
  private static List<Integer> seedsByNode(String api) {
    List<Integer> seeds = new ArrayList<>(java.util.Collections.nCopies(NODES, 0));
    for (JsonNode m : get(api + "/cleave/v1/cluster").path("members")) {
      String node = m.path("node").asText();
      if (node.matches("node\\d+")) {
        seeds.set(Integer.parseInt(node.substring(4)) - 1, m.path("seeds").asInt());
      }
    }
    return seeds;
  }

  private static int seedsBySurvivor(String api) {
    return seedsByNode(api).stream().mapToInt(Integer::intValue).sum();
  }

  /** The pid of node k's page server, found among the processes of its namespace; -1 when it has none. */
  private static long pageServerPid(ClusterLayout layout, int k) {
    for (String pid : ip("netns", "pids", layout.namespace(k)).split("\\s+")) {
      if (!pid.isEmpty() && String.join(" ", NodeProcesses.commandLine(Long.parseLong(pid))).contains("cleave-pageserver")) {
        return Long.parseLong(pid);
      }
    }
    return -1;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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
