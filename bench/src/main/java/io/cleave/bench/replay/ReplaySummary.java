package io.cleave.bench.replay;

import io.cleave.bench.replay.CallRecord.Outcome;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/** Computes {@code summary.json} of one replay from its call records and metrics samples. */
public final class ReplaySummary {
  static final String UNKNOWN_MODE = "unknown";
  private static final int TOP_ERRORS = 5;

  private ReplaySummary() {}

  /** The summary; {@code header} holds what describes the run (target, trace, options) and comes first. */
  public static JsonObject of(JsonObject header, List<CallRecord> calls, List<MetricsSample> samples, ReplayWindow window) {
    JsonObject o = header.copy();
    fill(o, calls, samples, c -> true, s -> true);
    if (window != null) {
      JsonObject w = new JsonObject()
          .put("name", window.name())
          .put("from_s", window.fromMicros() / 1e6)
          .put("to_s", window.toMicros() / 1e6);
      fill(w, calls, samples, window::containsCall, window::containsSample);
      o.put("window", w);
    }
    return o;
  }

  private static void fill(JsonObject o, List<CallRecord> all, List<MetricsSample> allSamples,
      Predicate<CallRecord> callFilter, Predicate<MetricsSample> sampleFilter) {
    List<CallRecord> calls = all.stream().filter(callFilter).toList();
    List<MetricsSample> samples = allSamples.stream().filter(sampleFilter).toList();
    long ok = calls.stream().filter(c -> c.outcome() == Outcome.OK).count();
    long errors = calls.stream().filter(c -> c.outcome() == Outcome.ERROR).count();
    long dropped = calls.stream().filter(c -> c.outcome() == Outcome.DROPPED).count();
    Map<String, Integer> byStatus = new TreeMap<>();
    calls.stream().filter(c -> c.outcome() == Outcome.ERROR)
        .forEach(c -> byStatus.merge(c.httpStatus() == 0 ? "no answer" : String.valueOf(c.httpStatus()), 1, Integer::sum));
    o.put("calls", new JsonObject()
        .put("planned", calls.size())
        .put("ok", ok)
        .put("errors", errors)
        .put("dropped", dropped)
        .put("error_share", calls.isEmpty() ? 0.0 : LatencyStats.round((double) (errors + dropped) / calls.size()))
        .put("errors_by_status", counts(byStatus))
        .put("top_errors", topErrors(calls)));

    List<CallRecord> okCalls = calls.stream().filter(c -> c.outcome() == Outcome.OK).toList();
    o.put("latency_ms", latencies(okCalls).toJson());
    Map<String, List<CallRecord>> byMode = new TreeMap<>();
    for (CallRecord c : okCalls) {
      byMode.computeIfAbsent(mode(c), k -> new ArrayList<>()).add(c);
    }
    JsonObject modes = new JsonObject();
    JsonObject modeCounts = new JsonObject();
    byMode.forEach((mode, list) -> {
      modes.put(mode, latencies(list).toJson());
      modeCounts.put(mode, list.size());
    });
    o.put("latency_ms_by_start_mode", modes);
    o.put("start_modes", modeCounts);
    long known = okCalls.stream().filter(c -> !mode(c).equals(UNKNOWN_MODE)).count();
    long cold = okCalls.stream().filter(c -> mode(c).equals("cold")).count();
    o.put("cold_start_share", known == 0 ? null : LatencyStats.round((double) cold / known));
    double[] lags = calls.stream().filter(c -> c.outcome() != Outcome.DROPPED).mapToDouble(c -> c.sendLagMicros() / 1000.0).toArray();
    LatencyStats lag = LatencyStats.of(lags);
    o.put("send_lag_ms", new JsonObject().put("p99", lag.count() == 0 ? null : LatencyStats.round(lag.p99()))
        .put("max", lag.count() == 0 ? null : LatencyStats.round(lag.max())));

    o.put("metrics_samples", samples.size());
    o.put("instances", peakMean(samples, MetricsSample::instances, 1));
    o.put("busy_instances", peakMean(samples, MetricsSample::busy, 1));
    o.put("seeds", peakMean(samples, MetricsSample::seeds, 1));
    o.put("memory_mb", peakMean(samples, MetricsSample::memoryBytes, 1024.0 * 1024.0));
    o.put("seed_memory_mb", peakMean(samples, MetricsSample::seedMemoryBytes, 1024.0 * 1024.0));
  }

  /** The most frequent error messages, so a failed run says why without opening calls.csv. */
  private static JsonObject topErrors(List<CallRecord> calls) {
    Map<String, Integer> byMessage = new TreeMap<>();
    calls.stream().filter(c -> c.outcome() == Outcome.ERROR)
        .forEach(c -> byMessage.merge(c.error().isEmpty() ? "HTTP " + c.httpStatus() : c.error(), 1, Integer::sum));
    JsonObject o = new JsonObject();
    byMessage.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(TOP_ERRORS)
        .forEach(e -> o.put(e.getKey(), e.getValue()));
    return o;
  }

  private static JsonObject counts(Map<String, Integer> counts) {
    JsonObject o = new JsonObject();
    counts.forEach(o::put);
    return o;
  }

  static String mode(CallRecord c) {
    return c.startMode().isEmpty() ? UNKNOWN_MODE : c.startMode();
  }

  private static LatencyStats latencies(List<CallRecord> calls) {
    return LatencyStats.of(calls.stream().mapToDouble(CallRecord::latencyMs).toArray());
  }

  private static JsonObject peakMean(List<MetricsSample> samples, ToDoubleFunction<MetricsSample> f, double unit) {
    if (samples.isEmpty()) {
      return new JsonObject().putNull("peak").putNull("mean");
    }
    double peak = samples.stream().mapToDouble(f).max().orElse(0) / unit;
    double mean = samples.stream().mapToDouble(f).average().orElse(0) / unit;
    return new JsonObject().put("peak", LatencyStats.round(peak)).put("mean", LatencyStats.round(mean));
  }
}
