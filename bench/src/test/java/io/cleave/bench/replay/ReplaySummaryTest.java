package io.cleave.bench.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cleave.bench.replay.CallRecord.Outcome;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplaySummaryTest {

  static CallRecord ok(long atMs, double latencyMs, String mode) {
    return new CallRecord(atMs * 1000, 0, 0, 0, latencyMs, 200, Outcome.OK, mode, "id" + atMs, "");
  }

  @Test
  void percentilesPerStartModeAndWindow() {
    List<CallRecord> calls = new ArrayList<>();
    for (int i = 1; i <= 1000; i++) {
      calls.add(ok(i, i, i % 10 == 0 ? "cold" : "warm"));
    }
    calls.add(new CallRecord(5_000, 0, 0, 0, 3.0, 503, Outcome.ERROR, "", "", "no capacity"));
    calls.add(new CallRecord(6_000, 0, 0, 0, Double.NaN, 0, Outcome.DROPPED, "", "", "over the in-flight bound of 1"));
    List<MetricsSample> samples = List.of(
        new MetricsSample(0, 0, 1, 0, 1, 10 * 1048576.0, 50 * 1048576.0),
        new MetricsSample(500, 1, 2, 3, 1, 30 * 1048576.0, 50 * 1048576.0),
        new MetricsSample(1000, 0, 5, 0, 1, 20 * 1048576.0, 50 * 1048576.0));
    JsonObject s = ReplaySummary.of(new JsonObject().put("label", "t"), calls, samples, new ReplayWindow("w", 0, 100_000));

    assertEquals("t", s.getString("label"));
    JsonObject c = s.getJsonObject("calls");
    assertEquals(1002, c.getInteger("planned"));
    assertEquals(1000L, c.getLong("ok"));
    assertEquals(1L, c.getLong("errors"));
    assertEquals(1L, c.getLong("dropped"));
    assertEquals(1, c.getJsonObject("errors_by_status").getInteger("503"));
    assertEquals(1, c.getJsonObject("top_errors").getInteger("no capacity"));

    JsonObject l = s.getJsonObject("latency_ms");
    assertEquals(1000, l.getInteger("count"));
    assertEquals(500.0, l.getDouble("p50"));
    assertEquals(900.0, l.getDouble("p90"));
    assertEquals(990.0, l.getDouble("p99"));
    assertEquals(999.0, l.getDouble("p99_9"));
    assertEquals(1000.0, l.getDouble("max"));
    assertEquals(100, s.getJsonObject("start_modes").getInteger("cold"));
    assertEquals(1000.0, s.getJsonObject("latency_ms_by_start_mode").getJsonObject("cold").getDouble("max"));
    assertEquals(0.1, s.getDouble("cold_start_share"));

    assertEquals(6.0, s.getJsonObject("instances").getDouble("peak"));
    assertEquals(4.0, s.getJsonObject("instances").getDouble("mean"));
    assertEquals(80.0, s.getJsonObject("memory_mb").getDouble("peak"));
    assertEquals(70.0, s.getJsonObject("memory_mb").getDouble("mean"));

    // the window holds the calls scheduled in its first 100 ms (99 ok, the error and the dropped one) and the sample at 0 ms
    JsonObject w = s.getJsonObject("window");
    assertEquals(101, w.getJsonObject("calls").getInteger("planned"));
    assertEquals(1L, w.getJsonObject("calls").getLong("dropped"));
    assertEquals(99.0, w.getJsonObject("latency_ms").getDouble("max"));
    assertEquals(1, w.getInteger("metrics_samples"));
    assertEquals(60.0, w.getJsonObject("memory_mb").getDouble("peak"));
  }

  @Test
  void unknownStartModesAreNotCountedAsCold() {
    JsonObject s = ReplaySummary.of(new JsonObject(), List.of(ok(1, 5, ""), ok(2, 6, "")), List.of(), null);
    assertNull(s.getValue("cold_start_share"));
    assertEquals(2, s.getJsonObject("start_modes").getInteger("unknown"));
    assertNull(s.getJsonObject("memory_mb").getValue("peak"));
  }

  @Test
  void readsTheMetricsTheReplaySamples() {
    String text = """
        # HELP cleave_instances instances by state
        # TYPE cleave_instances gauge
        cleave_instances{state="busy",} 3.0
        cleave_instances{state="idle",} 2.0
        cleave_instances{state="starting",} 1.0
        cleave_seeds 1.0
        cleave_instance_memory_bytes{kind="instance"} 1.048576E8
        cleave_instance_memory_bytes{kind="seed"} 5.24288E7
        cleave_invocations_total{fn="a b\\"c",status="success",start_mode="fork"} 7.0
        """;
    PrometheusText m = PrometheusText.parse(text);
    MetricsSample s = MetricsSample.of(10, m);
    assertEquals(6.0, s.instances());
    assertEquals(3.0, s.busy());
    assertEquals(1.0, s.seeds());
    assertEquals(150.0, s.memoryBytes() / 1048576.0, 1e-9);
    assertEquals(7.0, m.sum("cleave_invocations_total", "fn", "a b\"c"));
  }

  @Test
  void aMissingMetricIsAnErrorNotAZero() {
    PrometheusText m = PrometheusText.parse("""
        cleave_instances{state="busy",} 0.0
        cleave_instances{state="idle",} 0.0
        cleave_instances{state="starting",} 0.0
        cleave_instance_memory_bytes{kind="instance"} 0.0
        cleave_instance_memory_bytes{kind="seed"} 0.0
        """);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> MetricsSample.of(10, m));
    assertEquals("no sample cleave_seeds in /metrics", e.getMessage());
    IllegalStateException label = assertThrows(IllegalStateException.class, () -> m.sum("cleave_instances", "state", "gone"));
    assertEquals("no sample cleave_instances{state=\"gone\"} in /metrics", label.getMessage());
  }
}
