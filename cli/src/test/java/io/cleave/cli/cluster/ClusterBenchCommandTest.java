package io.cleave.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cleave.cli.CliRun;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cleave bench cluster} at its smallest, end to end against a real two-node cluster (root):
 * the outputs exist and are well-formed, remote-fork starts were really measured (not how fast
 * they are), and the cluster is gone afterwards. Bad input exits 2 before anything starts.
 */
class ClusterBenchCommandTest {

  @Test
  void badInputExitsTwoWithAClearMessage() {
    CliRun one = CliRun.run("bench", "cluster", "--nodes", "1");
    assertEquals(2, one.exit(), one::toString);
    assertTrue(one.err().contains("--nodes must be between 2 and 8"), one::toString);
    CliRun zero = CliRun.run("bench", "cluster", "--quick", "--rounds", "0");
    assertEquals(2, zero.exit(), zero::toString);
    assertTrue(zero.err().contains("every count must be at least 1"), zero::toString);
    CliRun images = CliRun.run("bench", "cluster", "--image-dir", "/nonexistent-cleave-images");
    assertEquals(2, images.exit(), images::toString);
    assertTrue(images.err().contains("image directory /nonexistent-cleave-images does not exist"), images::toString);
  }

  @Test
  @Timeout(400)
  void twoNodesAFewCallsWriteEveryOutputWithRemoteForksMeasured(@TempDir Path out) throws Exception {
    assumeTrue(Privileges.effectiveUid() == 0, "cleave bench cluster needs root (network namespaces, bridge, cgroups)");
    CliRun run = CliRun.run("bench", "cluster", "--nodes", "2", "--cold-calls", "1", "--warmup-calls", "2",
        "--warmup-rounds", "0", "--rounds", "2", "--warm-calls", "3", "--rate-rounds", "1", "--rate-burst", "2", "--jit-warmup-seconds", "2", "--rate-warmup-rounds", "1",
        "--out", out.toString());
    assertEquals(0, run.exit(), run::toString);
    assertTrue(run.out().contains("target seeds per function = 1"), run::toString);
    assertTrue(run.out().lines().anyMatch(l -> l.startsWith("target ") && (l.endsWith(" met") || l.endsWith("NOT met"))),
        run::toString);

    JsonObject summary = new JsonObject(Files.readString(out.resolve("summary.json")));
    for (String fn : List.of("hello", "image")) {
      JsonObject f = summary.getJsonObject(fn);
      assertTrue(f.getInteger("remote_fork_calls") > 0, fn + ": no remote-fork start was measured: " + f);
      for (String key : List.of("remote_fork_p50_ms", "cold_p50_ms", "local_fork_p50_ms", "warm_p50_ms")) {
        assertTrue(f.getValue(key) instanceof Number n && n.doubleValue() > 0, fn + "." + key + " = " + f.getValue(key));
      }
      // Every remote fork was restored from node 1's seed, the one seed of the function.
      assertEquals(List.of("node1"), List.copyOf(f.getJsonObject("remote_forks_by_seed_node").fieldNames()), f::toString);
    }
    assertTrue(summary.getValue("remote_fork_rate_per_s") instanceof Number, summary::toString);
    // Rate calls hold their instances, and the nodes' CPU was read around each rate round (the servers' pids are known).
    assertEquals(1000, summary.getJsonObject("settings").getInteger("rate_hold_ms"), summary::toString);
    for (String fn : List.of("hello", "image")) {
      JsonObject f = summary.getJsonObject(fn);
      assertTrue(f.getJsonObject("jit_warmup").getLong("calls") > 0, f::toString);
      JsonObject rate = f.getJsonArray("rate_rounds").getJsonObject(0);
      assertEquals(2, rate.getJsonArray("cpu_ms_by_node").size(), rate::toString);
      assertEquals(2, rate.getJsonArray("idle_cpu_ms_by_node").size(), rate::toString);
    }
    assertTrue(summary.getInteger("seeds_per_function") >= 1, summary::toString);
    // Remote children ran on node 2, so some pages crossed the network: the ratio is read, not assumed.
    double fetched = summary.getDouble("pages_fetched_ratio");
    assertTrue(fetched > 0 && fetched <= 1, summary::toString);
    assertTrue(summary.getJsonObject("remote_fork_pages").getDouble("network") > 0, summary::toString);
    JsonObject machine = summary.getJsonObject("machine");
    assertTrue(machine.containsKey("load_average_at_start") && machine.containsKey("load_average_at_end"), machine::toString);
    JsonArray targets = summary.getJsonArray("targets");
    assertEquals(5, targets.size(), targets::toString);
    targets.forEach(t -> assertTrue(((JsonObject) t).getValue("met") instanceof Boolean, t::toString));

    List<String> calls = Files.readAllLines(out.resolve("calls.csv"));
    List<String> header = Arrays.asList(calls.get(0).split(","));
    int kind = header.indexOf("kind");
    int mode = header.indexOf("start_mode");
    int status = header.indexOf("status");
    int gateway = header.indexOf("gateway");
    assertTrue(kind >= 0 && mode >= 0 && status >= 0 && gateway >= 0, calls.get(0));
    long remoteForks = calls.stream().skip(1).map(l -> l.split(",", -1))
        .peek(r -> assertEquals(header.size(), r.length, () -> String.join(",", r)))
        .filter(r -> r[kind].equals("remote-fork") && r[mode].equals("remote-fork") && r[status].equals("200"))
        .peek(r -> assertEquals("node2", r[gateway]))
        .count();
    assertTrue(remoteForks > 0, "calls.csv has no answered remote-fork call");
    for (String csv : List.of("stats.csv", "rates.csv", "seeds.csv")) {
      List<String> lines = Files.readAllLines(out.resolve(csv));
      assertTrue(lines.size() > 1, csv + " has no rows");
      int columns = lines.get(0).split(",", -1).length;
      lines.forEach(l -> assertEquals(columns, l.split(",", -1).length, csv + ": " + l));
    }
    byte[] png = Files.readAllBytes(out.resolve("start_modes.png"));
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4), "start_modes.png is a PNG");

    // Torn down: no cluster.json, no namespace of the cluster; only the nodes' logs stay.
    ClusterLayout layout = ClusterLayout.of(out.resolve("cluster"));
    assertFalse(Files.exists(layout.stateFile()), "cluster.json after the run");
    assertEquals(List.of(), new ClusterNetwork(layout).namespaces(), "namespaces after the run");
    assertFalse(new ClusterNetwork(layout).bridgeExists(), "bridge after the run");
    assertTrue(Files.isRegularFile(layout.serverLog(1)), "node1's server.log stays");
    assertFalse(Files.exists(layout.dataDir(1)), "node1's data is removed");
  }
}
