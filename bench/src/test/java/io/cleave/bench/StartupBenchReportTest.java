package io.cleave.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.bench.StartupBenchFigures.Metric;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How measured samples become the summary's figures and the table (no server). */
class StartupBenchReportTest {

  private static StartupBenchFigures figures(StartupBenchFunction fn, double direct, double cold, double warm, double fork) {
    StartupBenchFigures f = new StartupBenchFigures(fn);
    for (int i = 0; i < 10; i++) {
      f.add(Metric.DIRECT_WARM, direct);
      f.add(Metric.INVOKE_COLD, cold + i);
      f.add(Metric.INVOKE_WARM, warm);
      f.add(Metric.INVOKE_FORK, fork);
      f.add(Metric.FORKD_COLD, 100);
      f.add(Metric.FORKD_FORK, 1.5);
    }
    f.memory(new StartupBenchFigures.Memory(StartupBenchFigures.COLD_INSTANCE, 2, 40L << 20, 30L << 20));
    f.memory(new StartupBenchFigures.Memory(StartupBenchFigures.FORK_CHILD, 2, 2L << 20, 1L << 20));
    f.memory(new StartupBenchFigures.Memory(StartupBenchFigures.SEED, 2, 30L << 20, 30L << 20));
    f.rate(new StartupBenchFigures.Rate(1, 100, 0.5, List.of(1.0), Map.of("forkd", 1.0, "seed", 0.5)));
    f.rate(new StartupBenchFigures.Rate(2, 100, 0.08, List.of(1.0), Map.of("forkd", 1.0, "seed", 0.5)));
    return f;
  }

  private static StartupBenchReport report() {
    return new StartupBenchReport(List.of(
        figures(StartupBenchFunction.HELLO, 0.5, 80.5, 1.0, 2.5),
        figures(StartupBenchFunction.IMAGE, 2.0, 152.0, 2.6, 5.0)),
        StartupBench.Settings.quick(Path.of("/nonexistent")), 12.0, 1.5, 2.5, new MachineCosts(11.25, 3.5));
  }

  @Test
  void startLatencyIsEndToEndMinusTheDirectCall() {
    JsonObject s = report().summary();
    JsonObject hello = s.getJsonObject("hello");
    // nearest-rank p50 of cold 80.5..89.5 is 84.5; minus the direct p50 of 0.5
    assertEquals(84.0, hello.getDouble("cold_p50_ms"), 1e-9);
    assertEquals(0.5, hello.getDouble("warm_p50_ms"), 1e-9);
    assertEquals(2.0, hello.getDouble("fork_p50_ms"), 1e-9);
    assertEquals(0.5, s.getDouble("gateway_overhead_p50_ms"), 1e-9, "warm through the gateway minus direct, hello");
    assertEquals(3.0, s.getJsonObject("image").getDouble("fork_p50_ms"), 1e-9);
    assertEquals(1250.0, s.getDouble("fork_rate_per_s"), 1e-9, "the best level of the hello function");
    assertEquals(2.0, hello.getJsonObject("memory").getDouble("fork_child_pss_mb"), 1e-9);
  }

  @Test
  void targetsAreJudgedOnTheImageFunction() {
    JsonObject s = report().summary();
    List<JsonObject> targets = s.getJsonArray("targets").stream().map(o -> (JsonObject) o).toList();
    JsonObject forkStart = targets.get(0);
    assertEquals(3.0, forkStart.getDouble("measured"), 1e-9);
    assertTrue(forkStart.getBoolean("met"), "3 ms is within the 3 ms target");
    JsonObject forkdStart = targets.get(1);
    assertTrue(forkdStart.getBoolean("met"), "1.5 ms in forkd is within 2 ms");
    JsonObject vsCold = targets.get(2);
    assertEquals(154.0 / 3.0, vsCold.getDouble("measured"), 1e-3, "cold 154 ms over fork 3 ms");
    assertTrue(vsCold.getBoolean("met"), "51x is past 40x");
    JsonObject cpu = targets.stream().filter(t -> t.getString("target").startsWith("hello CPU per fork")).findFirst().orElseThrow();
    assertEquals(1.5, cpu.getDouble("measured"), 1e-9, "forkd 1.0 + seed 0.5 at one order at a time");
    assertTrue(cpu.getBoolean("met"));
  }

  @Test
  void theMachinesMemoryCostsStandBesideItsLoad() {
    JsonObject machine = report().summary().getJsonObject("machine");
    assertEquals(11.25, machine.getDouble("page_fault_us"), 1e-9);
    assertEquals(3.5, machine.getDouble("fork_exit_64mb_ms"), 1e-9);
    assertTrue(report().table().contains("4 KB page fault 11.25 us, fork + exit of a 64 MB process 3.50 ms"), report().table());
  }

  @Test
  void aForkStartPastTheIssuesGoalsIsNotMet() {
    StartupBenchReport slow = new StartupBenchReport(List.of(
        figures(StartupBenchFunction.HELLO, 0.5, 80.5, 1.0, 3.0),
        figures(StartupBenchFunction.IMAGE, 2.0, 152.0, 2.6, 6.0)),
        StartupBench.Settings.quick(Path.of("/nonexistent")), 12.0, 1.5, 2.5, MachineCosts.UNKNOWN);
    List<JsonObject> targets = slow.summary().getJsonArray("targets").stream().map(o -> (JsonObject) o).toList();
    assertEquals(4.0, targets.get(0).getDouble("measured"), 1e-9);
    assertFalse(targets.get(0).getBoolean("met"), "an image fork start of 4 ms is past 3 ms");
    assertFalse(targets.get(2).getBoolean("met"), "cold 154 ms over fork 4 ms is 38.5x, short of 40x");
    JsonObject hello = targets.stream().filter(t -> t.getString("target").startsWith("hello fork start")).findFirst().orElseThrow();
    assertFalse(hello.getBoolean("met"), "a hello fork start of 2.5 ms is past 2 ms");
  }

  @Test
  void tableHasTheThreeStartTechniquesWithRatiosAgainstCold() {
    String table = report().table();
    assertTrue(table.contains("cold start") && table.contains("caching (warm)") && table.contains("fork"), table);
    assertTrue(table.contains("hello: start latency p50 / p99 (ms)"), table);
    assertTrue(table.contains("(42.0x faster)"), "hello fork start 2.0 ms vs cold 84.0 ms:\n" + table);
    assertTrue(table.contains("1250/s"), table);
  }

  @Test
  void concurrencyLevelsDoubleUpToTheMaximum() {
    Path images = Path.of("/nonexistent");
    assertEquals(List.of(1, 2, 4, 8, 16), StartupBench.Settings.full(images).concurrencyLevels());
    assertEquals(List.of(1, 2, 4, 6), new StartupBench.Settings(1, 1, 0, 1, 1, 1, 1, 6, 1, 0, 1, 1, images).concurrencyLevels());
    assertEquals(List.of(1), new StartupBench.Settings(1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, images).concurrencyLevels());
  }
}
