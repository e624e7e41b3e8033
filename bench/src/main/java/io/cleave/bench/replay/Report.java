package io.cleave.bench.replay;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;

/** Human-readable lines for the end of a replay or comparison. */
public final class Report {
  private Report() {}

  public static String line(String label, JsonObject s) {
    JsonObject calls = s.getJsonObject("calls");
    LatencyStats l = LatencyStats.fromJson(s.getJsonObject("latency_ms"));
    JsonObject top = calls.getJsonObject("top_errors");
    String errors = top == null || top.isEmpty() ? "" : "\nmost frequent errors: " + top.encode();
    return String.format(Locale.ROOT, "%s: %d calls, %d ok, %d errors, %d dropped; latency p50 %s p99 %s p99.9 %s ms; "
            + "cold starts %s; peak instances %s, peak memory %s MB",
        label, calls.getInteger("planned"), calls.getLong("ok"), calls.getLong("errors"), calls.getLong("dropped"),
        ms(l.p50()), ms(l.p99()), ms(l.p999()), share(s.getDouble("cold_start_share")),
        s.getJsonObject("instances").getValue("peak"), s.getJsonObject("memory_mb").getValue("peak")) + errors;
  }

  /** The comparison as a fixed-width table: one row per policy, for all calls and for the window. */
  public static String table(List<ComparisonRun.Row> rows, boolean window) {
    StringBuilder b = new StringBuilder();
    String fmt = "%-12s %-16s %7s %6s %6s %9s %9s %9s %7s %9s %11s%n";
    b.append(String.format(Locale.ROOT, fmt, "policy", "scope", "calls", "errors", "drop", "p50 ms", "p99 ms", "p99.9 ms",
        "cold", "peak inst", "peak MB"));
    for (boolean w : window ? new boolean[] {false, true} : new boolean[] {false}) {
      for (ComparisonRun.Row r : rows) {
        JsonObject s = r.scope(w);
        LatencyStats l = r.latency(w);
        JsonObject calls = s.getJsonObject("calls");
        b.append(String.format(Locale.ROOT, fmt, r.policy(), w ? s.getString("name") : "all", calls.getValue("planned"),
            calls.getValue("errors"), calls.getValue("dropped"), ms(l.p50()), ms(l.p99()), ms(l.p999()),
            share(s.getDouble("cold_start_share")), String.valueOf(s.getJsonObject("instances").getValue("peak")),
            String.valueOf(s.getJsonObject("memory_mb").getValue("peak"))));
      }
    }
    return b.toString();
  }

  static String ms(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
  }

  static String share(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.0f%%", v * 100);
  }
}
