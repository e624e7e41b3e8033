package io.cleave.bench.replay;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;

/** Latency percentiles of a set of calls, in milliseconds (nearest-rank). */
public record LatencyStats(int count, double mean, double p50, double p90, double p99, double p999, double max) {

  public static final LatencyStats EMPTY = new LatencyStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

  public static LatencyStats of(double[] latencies) {
    if (latencies.length == 0) {
      return EMPTY;
    }
    double[] s = latencies.clone();
    Arrays.sort(s);
    double sum = 0;
    for (double v : s) {
      sum += v;
    }
    return new LatencyStats(s.length, sum / s.length, rank(s, 50), rank(s, 90), rank(s, 99), rank(s, 99.9), s[s.length - 1]);
  }

  /** Nearest-rank percentile of sorted values. */
  static double rank(double[] sorted, double p) {
    // the small epsilon keeps 99.9% of 1000 at rank 999 despite binary rounding
    int i = (int) Math.ceil(p * sorted.length / 100.0 - 1e-9) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  JsonObject toJson() {
    JsonObject o = new JsonObject().put("count", count);
    if (count > 0) {
      o.put("mean", round(mean)).put("p50", round(p50)).put("p90", round(p90)).put("p99", round(p99))
          .put("p99_9", round(p999)).put("max", round(max));
    }
    return o;
  }

  public static LatencyStats fromJson(JsonObject o) {
    if (o == null || o.getInteger("count", 0) == 0) {
      return EMPTY;
    }
    return new LatencyStats(o.getInteger("count"), o.getDouble("mean"), o.getDouble("p50"), o.getDouble("p90"),
        o.getDouble("p99"), o.getDouble("p99_9"), o.getDouble("max"));
  }

  static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
