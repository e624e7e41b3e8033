package io.cleave.bench.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Test
  @Timeout(150)
  void comparesPoliciesAndWritesEveryOutput(@TempDir Path out) throws IOException {
    Trace sample = TraceReader.read(TraceReaderTest.AZURE.resolve("sample100-8h"));
    Trace two = sample.withFunctions(TraceSelection.byId(sample, List.of("7017de4f", "1948876d")));
    // Minutes 866-869 hold the 7017de4f burst (10, 18, 244, 734 calls); 2 s per minute and a
    // rate scale of 0.04 keep it to a few dozen short calls.
    ScheduleOptions so = new ScheduleOptions(866, 4, 2.0, 0.04, Spread.POISSON, 11, 1.0, 200, 50, 16);
    Schedule schedule = Schedule.build(two, so);
    assertTrue(schedule.calls().size() >= 20, "calls: " + schedule.calls().size());
    DeployOptions deploy = new DeployOptions(Workload.TRACE, Map.of(), 30, false, Path.of("/nonexistent"), 64, 0, false);
    LoadOptions load = new LoadOptions(64, 60_000, 200, 0, 0, false);
    ReplayWindow burst = ReplayWindow.ofMinutes("burst", so, 868, 2);

    List<ComparisonRun.Row> rows = ComparisonRun.run(vertx, List.of("keep-alive", "fork"), "keep-alive", schedule, deploy, load,
        burst, out, List.of(), new PrintStream(System.out, true, StandardCharsets.UTF_8));

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
      assertEquals(schedule.calls().size(), calls.getInteger("planned"));
      assertEquals(schedule.calls().size(), calls.getInteger("ok"), row.policy() + ": " + calls.encode());

      List<String> lines = Files.readAllLines(dir.resolve(ReplayOutput.CALLS));
      assertEquals(schedule.calls().size() + 1, lines.size());
      Set<String> modes = lines.stream().skip(1).map(l -> l.split(",")[7]).collect(Collectors.toSet());
      // every call's start mode is known, and each function's first call started it cold
      assertTrue(modes.contains("cold") && !modes.contains(""), row.policy() + " start modes " + modes);
      if (row.policy().equals("fork")) {
        assertTrue(modes.contains("fork") || modes.contains("warm"), "fork start modes " + modes);
      }
      assertTrue(summary.getInteger("metrics_samples") > 0);
      assertTrue(summary.getJsonObject("instances").getDouble("peak") >= 1, summary.getJsonObject("instances").encode());
      assertTrue(summary.getJsonObject("window").getJsonObject("calls").getInteger("planned") > 0);
      assertTrue(Files.readString(dir.resolve("server.log")).contains("listening on"));
    }
    for (String f : List.of(ComparisonRun.CSV, ComparisonRun.JSON, ComparisonRun.LATENCY_CDF, ComparisonRun.MEMORY,
        ComparisonRun.INSTANCES)) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    List<String> table = Files.readAllLines(out.resolve(ComparisonRun.CSV));
    assertEquals(5, table.size(), "header + 2 policies x (all, burst): " + table);
    assertTrue(table.get(1).startsWith("keep-alive,all,"));
    JsonObject compare = new JsonObject(Files.readString(out.resolve(ComparisonRun.JSON)));
    assertEquals("keep-alive", compare.getString("baseline"));
    assertEquals(1.0, compare.getJsonArray("rows").getJsonObject(0).getDouble("p99_vs_baseline"));
  }
}
