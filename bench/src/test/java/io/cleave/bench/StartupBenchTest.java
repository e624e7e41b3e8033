package io.cleave.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.bench.replay.SharedData;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The startup benchmark's core at a tiny scale against real servers (cold-only, keep-alive, fork). */
class StartupBenchTest {
  /** Read from activation records in whole milliseconds: a fast start reads 0. */
  private static final Set<StartupBenchFigures.Metric> WHOLE_MS =
      EnumSet.of(StartupBenchFigures.Metric.INIT_COLD, StartupBenchFigures.Metric.INIT_FORK);
  private static Vertx vertx;

  @BeforeAll
  static void vertx() {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  @Test
  @Timeout(180)
  void writesEveryRequiredFigureAndTheOutputs(@TempDir Path out) throws Exception {
    StartupBench.Settings tiny = new StartupBench.Settings(1, 5, 2, 1, 2, 2, 2, 2, 2, 2, 2, 1, SharedData.dir().resolve("images"));
    StartupBenchReport report = new StartupBench(vertx, tiny, out, List.of(),
        new StartupBenchProgress(new PrintStream(System.err, true, StandardCharsets.UTF_8), true)).run();

    JsonObject summary = new JsonObject(Files.readString(out.resolve(StartupBenchReport.SUMMARY)));
    for (String fn : List.of("hello", "image")) {
      JsonObject f = summary.getJsonObject(fn);
      assertNotNull(f, fn);
      // Measured times are positive; the starts "as a call sees them" (cold_p50_ms, ...) are differences
      // of medians (a call minus a direct call), reported as they come, so only their presence is checked.
      for (String key : List.of("forkd_cold_p50_ms", "forkd_fork_p50_ms", "fork_rate_per_s")) {
        assertPositive(f, fn + "." + key, key);
      }
      for (String key : List.of("cold_p50_ms", "warm_p50_ms", "fork_p50_ms", "gateway_overhead_p50_ms")) {
        assertTrue(f.getValue(key) instanceof Number, fn + "." + key + " is " + f.getValue(key));
      }
      JsonObject memory = f.getJsonObject("memory");
      for (String key : List.of("instance_pss_mb", "fork_child_pss_mb", "seed_pss_mb")) {
        assertPositive(memory, fn + ".memory." + key, key);
      }
      assertEquals(2, f.getJsonArray("fork_rate").size(), "one fork-rate row per concurrency level (1, 2)");
      JsonObject path = f.getJsonObject("fork_path");
      for (String key : List.of("seed_fork_ms", "seed_order_to_listener_ms", "forkd_start_ms", "rpc_round_trip_ms")) {
        assertPositive(path, fn + ".fork_path." + key, key);
      }
      assertPositive(path.getJsonObject("cpu_ms_per_fork_one_at_a_time"), fn + " seed CPU per fork", "seed");

      // Every row measured; cold-only served every call cold, the fork policy really forked, and each
      // counted call's activation record gave its start.
      JsonObject metrics = f.getJsonObject("metrics");
      for (StartupBenchFigures.Metric m : StartupBenchFigures.Metric.values()) {
        if (m == StartupBenchFigures.Metric.WARM_LOAD && fn.equals("image")) {
          continue; // the warm-throughput run calls the hello function only
        }
        assertTrue(count(metrics, m) > 0, fn + " " + m.id() + " was measured: " + metrics.getJsonObject(m.id()));
        if (!WHOLE_MS.contains(m)) {
          assertPositive(metrics.getJsonObject(m.id()), fn + " " + m.id() + " p50", "p50");
        }
      }
      assertEquals(tiny.coldCalls(), count(metrics, StartupBenchFigures.Metric.INVOKE_COLD), fn + " cold calls");
      assertEquals(tiny.warmCalls(), count(metrics, StartupBenchFigures.Metric.DIRECT_WARM), fn + " direct calls");
      assertEquals(count(metrics, StartupBenchFigures.Metric.INVOKE_COLD), count(metrics, StartupBenchFigures.Metric.INIT_COLD));
      assertEquals(count(metrics, StartupBenchFigures.Metric.INVOKE_FORK), count(metrics, StartupBenchFigures.Metric.INIT_FORK));
    }
    assertPositive(summary, "fork_rate_per_s", "fork_rate_per_s");
    assertTrue(summary.getValue("gateway_overhead_p50_ms") instanceof Number, summary.encode());
    assertEquals(tiny.warmConnections(), summary.getInteger("warm_connections"));
    assertPositive(summary, "warm_rps", "warm_rps");
    assertPositive(summary, "warm_p99_ms", "warm_p99_ms");
    assertTrue(summary.getValue("warm_overhead_p50_ms") instanceof Number, summary.encode());
    // CPU per warm call is read from /proc for the server and the instances it runs.
    JsonObject cpu = summary.getJsonObject("warm_cpu_ms_per_call");
    for (String key : List.of("server", "instances", "total")) {
      assertPositive(cpu, "warm CPU per call: " + key, key);
    }

    for (String file : List.of(StartupBenchReport.SAMPLES_CSV, StartupBenchReport.STATS_CSV, StartupBenchReport.FORK_RATE_CSV,
        StartupBenchReport.MEMORY_CSV)) {
      List<String> lines = Files.readAllLines(out.resolve(file));
      assertTrue(lines.size() > 1, file + " has rows");
    }
    for (String png : List.of(StartupBenchReport.LATENCY_PNG, StartupBenchReport.FORK_RATE_PNG)) {
      byte[] head = Files.readAllBytes(out.resolve(png));
      assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', png + " is a PNG");
    }
    String table = report.table();
    assertTrue(table.contains("cold start") && table.contains("caching (warm)") && table.contains("fork"), table);
  }

  private static int count(JsonObject metrics, StartupBenchFigures.Metric m) {
    return metrics.getJsonObject(m.id()).getInteger("count");
  }

  private static void assertPositive(JsonObject o, String name, String key) {
    Object v = o.getValue(key);
    assertTrue(v instanceof Number n && n.doubleValue() > 0, name + " should be a positive number, is " + v);
  }
}
