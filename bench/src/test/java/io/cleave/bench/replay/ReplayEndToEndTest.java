package io.cleave.bench.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short comparison replay against real {@code cleave server} processes (one per policy, as
 * {@code cleave replay --policies} starts them): deploys trace functions through the API, drives
 * calls, samples /metrics and writes every output file.
 */
class ReplayEndToEndTest {
  /**
   * A per-invocation (2021) trace replayed at its own times. {@code burst} is called once (a cold
   * start; under fork its seed starts behind it), then four times at once six seconds later: one
   * call finds the idle instance, the other three need new instances, forks of the seed under the
   * fork policy, cold starts under keep-alive. {@code steady} is called once a second.
   */
  static final String TRACE = """
      app,func,end_timestamp,duration
      burst,burst,0.1,0.1
      burst,burst,6.6,0.6
      burst,burst,6.6,0.6
      burst,burst,6.6,0.6
      burst,burst,6.6,0.6
      steady,steady,1.05,0.05
      steady,steady,2.05,0.05
      steady,steady,3.05,0.05
      steady,steady,4.05,0.05
      steady,steady,5.05,0.05
      """;

  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  /** The start mode of every call of a run, from its calls.csv. */
  private static Set<String> startModes(Path dir) throws IOException {
    return Files.readAllLines(dir.resolve(ReplayOutput.CALLS)).stream().skip(1).map(l -> l.split(",")[7])
        .collect(Collectors.toSet());
  }

  private static double p99(Path summary) throws IOException {
    return new JsonObject(Files.readString(summary)).getJsonObject("latency_ms").getDouble("p99");
  }

  @Test
  @Timeout(150)
  void comparesPoliciesAndWritesEveryOutput(@TempDir Path tmp) throws IOException {
    Path file = tmp.resolve("trace.csv");
    Files.writeString(file, TRACE);
    ScheduleOptions so = new ScheduleOptions(0, 1, 60.0, 1.0, Spread.EXACT, 11, 1.0, 2000, 50, 16);
    Schedule schedule = Schedule.build(TraceReader.read(file), so);
    assertEquals(10, schedule.calls().size());
    DeployOptions deploy = new DeployOptions(Workload.TRACE, Map.of(), 30, false, Path.of("/nonexistent"), 64, 0, false);
    LoadOptions load = new LoadOptions(64, 60_000, 200, 0, 0, false);
    ReplayWindow burst = ReplayWindow.ofMinutes("burst", so, 0, 1);
    Path out = tmp.resolve("out");

    List<ComparisonRun.Row> rows = ComparisonRun.run(vertx, List.of("keep-alive", "fork"), "keep-alive", schedule, deploy, load,
        burst, out, PolicyServer.standalone(List.of(), System.out), new PrintStream(System.out, true, StandardCharsets.UTF_8));

    assertEquals(List.of("keep-alive", "fork"), rows.stream().map(ComparisonRun.Row::policy).toList());
    for (ComparisonRun.Row row : rows) {
      Path dir = out.resolve(row.policy());
      for (String f : ReplayOutput.FILES) {
        assertTrue(Files.size(dir.resolve(f)) > 0, dir.resolve(f) + " is empty");
      }
      for (String png : List.of(ReplayOutput.LATENCY_CDF, ReplayOutput.LATENCY_OVER_TIME, ReplayOutput.INSTANCES_MEMORY)) {
        byte[] head = Arrays.copyOf(Files.readAllBytes(dir.resolve(png)), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head, png);
      }
      JsonObject summary = new JsonObject(Files.readString(dir.resolve(ReplayOutput.SUMMARY)));
      JsonObject calls = summary.getJsonObject("calls");
      assertEquals(10, calls.getInteger("planned"));
      assertEquals(10, calls.getInteger("ok"), row.policy() + ": " + calls.encode());
      assertEquals(11, Files.readAllLines(dir.resolve(ReplayOutput.CALLS)).size(), "header + one line per call");
      assertTrue(summary.getInteger("metrics_samples") > 0);
      assertTrue(summary.getJsonObject("instances").getDouble("peak") >= 1, summary.getJsonObject("instances").encode());
      assertEquals(10, summary.getJsonObject("window").getJsonObject("calls").getInteger("planned"));
      assertTrue(Files.readString(dir.resolve("server.log")).contains("listening on"));
    }
    // Every call's start mode is known; each function's first call started cold; only the fork policy forks.
    Set<String> keepAlive = startModes(out.resolve("keep-alive"));
    assertEquals(Set.of("cold", "warm"), keepAlive, "keep-alive start modes");
    Set<String> fork = startModes(out.resolve("fork"));
    assertTrue(fork.contains("cold") && fork.contains("fork") && !fork.contains(""), "fork start modes " + fork);
    assertFalse(fork.contains("remote-fork"), "fork start modes " + fork);

    for (String f : List.of(ComparisonRun.CSV, ComparisonRun.JSON, ComparisonRun.LATENCY_CDF, ComparisonRun.MEMORY,
        ComparisonRun.INSTANCES)) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    List<String> table = Files.readAllLines(out.resolve(ComparisonRun.CSV));
    assertEquals(5, table.size(), "header + 2 policies x (all, burst): " + table);
    assertTrue(table.get(1).startsWith("keep-alive,all,"), table.get(1));
    assertTrue(table.get(2).startsWith("fork,all,"), table.get(2));
    // The fork row compares the two runs: its p99 over the keep-alive run's, each from that run's own summary.
    JsonObject compare = new JsonObject(Files.readString(out.resolve(ComparisonRun.JSON)));
    assertEquals("keep-alive", compare.getString("baseline"));
    JsonObject forkRow = compare.getJsonArray("rows").getJsonObject(1);
    assertEquals("fork", forkRow.getString("policy"));
    assertEquals(ComparisonRun.ratio(p99(out.resolve("fork").resolve(ReplayOutput.SUMMARY)),
        p99(out.resolve("keep-alive").resolve(ReplayOutput.SUMMARY))), forkRow.getDouble("p99_vs_baseline"));
  }
}
