package io.cleave.bench.replay;

import io.cleave.bench.replay.CallRecord.Outcome;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The same schedule under several policies, each against fresh nodes of its own (a standalone
 * server, or a cluster's nodes), then one combined table ({@code compare.csv}, {@code compare.json})
 * and plots. Ratios are against a baseline policy measured in the same comparison.
 */
public final class ComparisonRun {
  public static final String CSV = "compare.csv";
  public static final String JSON = "compare.json";
  public static final String LATENCY_CDF = "compare_latency_cdf.png";
  public static final String MEMORY = "compare_memory.png";
  public static final String INSTANCES = "compare_instances.png";

  /** One policy's figures as the comparison table shows them. */
  public record Row(String policy, JsonObject summary) {
    JsonObject scope(boolean window) {
      return window && summary.getJsonObject("window") != null ? summary.getJsonObject("window") : summary;
    }

    LatencyStats latency(boolean window) {
      return LatencyStats.fromJson(scope(window).getJsonObject("latency_ms"));
    }

    Double peakMemoryMb(boolean window) {
      return scope(window).getJsonObject("memory_mb").getDouble("peak");
    }
  }

  private ComparisonRun() {}

  /**
   * Runs the schedule once per policy, each on nodes {@code nodes} starts fresh for it (and stops
   * after it), calls spread over all of them; writes the comparison into {@code out}.
   */
  public static List<Row> run(Vertx vertx, List<String> policies, String baseline, Schedule schedule, DeployOptions deploy,
      LoadOptions load, ReplayWindow window, Path out, PolicyNodes.Starter nodes, PrintStream log) throws IOException {
    if (policies.isEmpty()) {
      throw new IllegalArgumentException("no policy to compare");
    }
    Files.createDirectories(out);
    List<ReplayRun.Result> results = new ArrayList<>();
    for (String policy : policies) {
      Path dir = out.resolve(policy);
      try (PolicyNodes started = nodes.start(policy, dir)) {
        JsonObject extra = new JsonObject().put("policy", policy).put("nodes", started.urls().size());
        results.add(new ReplayRun(vertx, log).run(started.urls(), started.adminKey(), policy, schedule,
            deploy.withKeep(true), load, window, dir, extra));
      }
    }
    List<Row> rows = results.stream().map(r -> new Row(r.label(), r.summary())).toList();
    String base = policies.contains(baseline) ? baseline : policies.get(0);
    write(out, rows, base, window != null);
    plots(out, results, window);
    return rows;
  }

  static void write(Path out, List<Row> rows, String baseline, boolean hasWindow) throws IOException {
    Row base = rows.stream().filter(r -> r.policy().equals(baseline)).findFirst().orElse(rows.get(0));
    StringBuilder csv = new StringBuilder("policy,scope,calls,ok,errors,dropped,p50_ms,p90_ms,p99_ms,p99_9_ms,cold_start_share,"
        + "peak_instances,mean_instances,peak_memory_mb,mean_memory_mb,p99_vs_" + base.policy() + ",peak_memory_vs_" + base.policy() + "\n");
    JsonArray table = new JsonArray();
    for (boolean window : hasWindow ? new boolean[] {false, true} : new boolean[] {false}) {
      for (Row r : rows) {
        JsonObject s = r.scope(window);
        JsonObject calls = s.getJsonObject("calls");
        LatencyStats l = r.latency(window);
        Double p99Ratio = ratio(l.p99(), base.latency(window).p99());
        Double memRatio = ratio(r.peakMemoryMb(window), base.peakMemoryMb(window));
        String scope = window ? s.getString("name") : "all";
        csv.append(String.join(",", r.policy(), scope, str(calls.getValue("planned")), str(calls.getValue("ok")),
            str(calls.getValue("errors")), str(calls.getValue("dropped")), num(l.p50()), num(l.p90()), num(l.p99()), num(l.p999()),
            str(s.getValue("cold_start_share")), str(s.getJsonObject("instances").getValue("peak")),
            str(s.getJsonObject("instances").getValue("mean")), str(s.getJsonObject("memory_mb").getValue("peak")),
            str(s.getJsonObject("memory_mb").getValue("mean")), num(p99Ratio), num(memRatio))).append('\n');
        table.add(new JsonObject()
            .put("policy", r.policy())
            .put("scope", scope)
            .put("calls", calls)
            .put("latency_ms", l.toJson())
            .put("cold_start_share", s.getValue("cold_start_share"))
            .put("instances", s.getJsonObject("instances"))
            .put("memory_mb", s.getJsonObject("memory_mb"))
            .put("p99_vs_baseline", p99Ratio)
            .put("peak_memory_vs_baseline", memRatio));
      }
    }
    Files.writeString(out.resolve(CSV), csv.toString(), StandardCharsets.UTF_8);
    JsonObject runs = new JsonObject();
    rows.forEach(r -> runs.put(r.policy(), r.summary()));
    JsonObject json = new JsonObject().put("baseline", base.policy()).put("rows", table).put("runs", runs);
    Files.writeString(out.resolve(JSON), json.encodePrettily() + "\n", StandardCharsets.UTF_8);
  }

  private static void plots(Path out, List<ReplayRun.Result> results, ReplayWindow window) throws IOException {
    Map<String, double[]> cdf = new LinkedHashMap<>();
    Map<String, double[][]> memory = new LinkedHashMap<>();
    Map<String, double[][]> instances = new LinkedHashMap<>();
    for (ReplayRun.Result r : results) {
      cdf.put(r.label(), r.calls().stream()
          .filter(c -> c.outcome() == Outcome.OK && (window == null || window.containsCall(c)))
          .mapToDouble(CallRecord::latencyMs).toArray());
      double[] t = r.samples().stream().mapToDouble(s -> s.elapsedMs() / 1000.0).toArray();
      memory.put(r.label(), new double[][] {t, r.samples().stream().mapToDouble(s -> s.memoryBytes() / (1024.0 * 1024.0)).toArray()});
      instances.put(r.label(), new double[][] {t, r.samples().stream().mapToDouble(MetricsSample::instances).toArray()});
    }
    String scope = window == null ? "all calls" : "calls in the " + window.name() + String.format(Locale.ROOT, " (%.0f-%.0f s)",
        window.fromMicros() / 1e6, window.toMicros() / 1e6);
    ReplayPlots.latencyCdf(out.resolve(LATENCY_CDF), "Latency CDF by policy, " + scope, cdf);
    ReplayPlots.linesOverTime(out.resolve(MEMORY), "Instance + seed memory by policy", "memory (MB)", memory);
    ReplayPlots.linesOverTime(out.resolve(INSTANCES), "Instances by policy", "instances", instances);
  }

  static Double ratio(Double a, Double b) {
    if (a == null || b == null || a.isNaN() || b.isNaN() || b == 0) {
      return null;
    }
    return Math.round(a / b * 10000.0) / 10000.0;
  }

  private static String num(Double v) {
    return v == null || v.isNaN() ? "" : String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  private static String str(Object o) {
    return o == null ? "" : o.toString();
  }
}
