package io.cleave.bench.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cleave.bench.replay.CallRecord.Outcome;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster's figures as the comparison rows show them: each poll's per-node gauges summed into one
 * sample, the peak memory being the peak of those sums (not the sum of each node's own peak), and
 * compare.json's rows in the same format as for a single server.
 */
class ClusterRowsTest {
  private static final double MB = 1024 * 1024;

  /** One node's gauges: instances idle and busy, seeds, memory of instances and of seeds in MB. */
  private static MetricsSample node(double idle, double busy, double seeds, double instanceMb, double seedMb) {
    return new MetricsSample(0, 0, idle, busy, seeds, instanceMb * MB, seedMb * MB);
  }

  @Test
  void aPollsNodesAddUpToOneSample() {
    MetricsSample sum = MetricsSample.sum(750, List.of(node(1, 2, 1, 100, 50), node(0, 3, 0, 120, 0), node(2, 0, 0, 80, 0)));
    assertEquals(new MetricsSample(750, 0, 3, 5, 1, 300 * MB, 50 * MB), sum);
    assertEquals(8, sum.instances());
    assertEquals(350 * MB, sum.memoryBytes());
  }

  @Test
  void peakMemoryIsThePeakOfTheNodesSumsAndRowsKeepTheirFormat(@TempDir Path out) throws Exception {
    // Node 1 peaks at the first poll, node 2 at the second: the cluster never held 300 + 300 MB at once.
    List<MetricsSample> keepAlive = List.of(
        MetricsSample.sum(0, List.of(node(3, 0, 0, 300, 0), node(1, 0, 0, 100, 0))),
        MetricsSample.sum(250, List.of(node(1, 0, 0, 100, 0), node(3, 0, 0, 300, 0))));
    List<MetricsSample> remoteFork = List.of(
        MetricsSample.sum(0, List.of(node(1, 0, 1, 20, 30), node(1, 0, 0, 10, 0))),
        MetricsSample.sum(250, List.of(node(0, 0, 1, 0, 30), node(2, 0, 0, 15, 0))));
    ComparisonRun.Row ka = row("keep-alive", 2000, keepAlive);
    ComparisonRun.Row rf = row("remote-fork", 100, remoteFork);
    assertEquals(400.0, ka.peakMemoryMb(false));
    assertEquals(60.0, rf.peakMemoryMb(false));

    ComparisonRun.write(out, List.of(ka, rf), "keep-alive", true);

    JsonObject compare = new JsonObject(Files.readString(out.resolve(ComparisonRun.JSON)));
    assertEquals("keep-alive", compare.getString("baseline"));
    JsonArray rows = compare.getJsonArray("rows");
    assertEquals(4, rows.size(), rows::encodePrettily);
    JsonObject burst = rows.getJsonObject(3);
    assertEquals(List.of("policy", "scope", "calls", "latency_ms", "cold_start_share", "instances", "memory_mb", "p99_vs_baseline",
        "peak_memory_vs_baseline"), List.copyOf(burst.fieldNames()));
    assertEquals("remote-fork", burst.getString("policy"));
    assertEquals("burst", burst.getString("scope"));
    assertEquals(0.05, burst.getDouble("p99_vs_baseline"));
    assertEquals(0.15, rows.getJsonObject(1).getDouble("peak_memory_vs_baseline"));
    assertEquals(2, compare.getJsonObject("runs").getJsonObject("remote-fork").getInteger("nodes"));
    List<String> csv = Files.readAllLines(out.resolve(ComparisonRun.CSV));
    assertEquals(5, csv.size());
    // calls, ok, errors, dropped, p50..p99.9, cold share, instances peak and mean, memory peak and mean, ratios
    assertEquals("remote-fork,all,10,10,0,0,100,100,100,100,0.0,2.0,2.0,60.0,52.5,0.05,0.15", csv.get(2));
  }

  /** A policy's run on two nodes: ten calls of one latency, all in the burst window. */
  private static ComparisonRun.Row row(String policy, double latencyMs, List<MetricsSample> samples) {
    List<CallRecord> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(new CallRecord(i * 1000L, 0, 0, 0, latencyMs, 200, Outcome.OK, "warm", "c" + i, ""));
    }
    JsonObject header = new JsonObject().put("policy", policy).put("nodes", 2);
    return new ComparisonRun.Row(policy, ReplaySummary.of(header, calls, samples, new ReplayWindow("burst", 0, 1_000_000)));
  }
}
