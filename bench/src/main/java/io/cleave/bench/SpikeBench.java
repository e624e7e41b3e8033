package io.cleave.bench;

import io.cleave.bench.replay.ComparisonRun;
import io.cleave.bench.replay.DeployOptions;
import io.cleave.bench.replay.LatencyStats;
import io.cleave.bench.replay.LoadOptions;
import io.cleave.bench.replay.PolicyNodes;
import io.cleave.bench.replay.ReplayWindow;
import io.cleave.bench.replay.Report;
import io.cleave.bench.replay.Schedule;
import io.cleave.bench.replay.ScheduleOptions;
import io.cleave.bench.replay.Spread;
import io.cleave.bench.replay.Trace;
import io.cleave.bench.replay.TraceFunction;
import io.cleave.bench.replay.TraceSelection;
import io.cleave.bench.replay.Workload;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The MITOSIS load-spike experiment on one small machine: the image function driven by the
 * arrivals of a bursty Azure function, under several policies, each on fresh nodes: one server,
 * or a cluster's nodes with the calls spread over their gateways and their memory summed.
 *
 * <p>Scaling: the trace's minutes are compressed to {@code secondsPerMinute} seconds, and every
 * minute's count is scaled so that the burst's peak minute arrives at {@code peakRate} calls per
 * second (rate scale = peakRate x secondsPerMinute / peak count). The baseline before the burst
 * keeps its ratio to the peak, so the burst stays a burst. Each call thumbnails a photograph
 * (about 15 ms of CPU) and then waits {@code ioMs} without CPU, as a thumbnailing service waits on
 * its object store: at the peak rate the burst needs several times the baseline's instances
 * (rate x (CPU + wait)) while using well under two cores with warm instances, so the policies
 * differ by how they start instances, not by a saturated CPU.
 */
public final class SpikeBench {
  /** What one run of the experiment replays. */
  public record Plan(
      Path trace, String function, int fromMinute, int minutes, int burstFrom, int burstMinutes,
      double secondsPerMinute, double peakRate, double rateScale, long seed) {}

  static final double GOAL_RATIO = 0.10;
  /** One seed for the whole cluster against instances kept on every node: the burst's p99 at most 5% of keep-alive's. */
  static final double REMOTE_FORK_P99_GOAL = 0.05;

  /**
   * One policy's burst p99 and peak memory over another's, with the goals they are held to (null:
   * reported only) and whether the policy must also answer every call.
   */
  record Comparison(String policy, String against, Double p99Goal, Double memoryGoal, boolean noErrorsGoal) {
    boolean hasGoals() {
      return p99Goal != null || memoryGoal != null || noErrorsGoal;
    }
  }

  /** The comparisons reported when both policies ran, in this order. */
  static final List<Comparison> COMPARISONS = List.of(
      new Comparison("fork", "keep-alive", GOAL_RATIO, GOAL_RATIO, false),
      new Comparison("remote-fork", "keep-alive", REMOTE_FORK_P99_GOAL, GOAL_RATIO, true),
      new Comparison("fork", "cold-only", null, null, false),
      new Comparison("keep-alive", "cold-only", null, null, false));
  /** Above this share of failed burst calls a policy is overloaded and its percentiles flatter it. */
  static final double OVERLOAD_ERROR_SHARE = 0.05;
  /** Calls per second in the peak minute; see the class comment and docs/benchmarks.md for how it was chosen. */
  static final double DEFAULT_PEAK_RATE = 40.0;
  /** Object-store wait per image call; see the class comment. */
  static final long DEFAULT_IO_MS = 100;
  /** Compression: one trace minute in 6 s (10x). */
  static final double DEFAULT_SECONDS_PER_MINUTE = 6.0;

  private SpikeBench() {}

  /**
   * Plans the experiment around the chosen function's sharpest burst: {@code before} minutes of
   * baseline, the burst (contiguous minutes at 4x the baseline or more), then {@code after} minutes.
   */
  public static Plan plan(Trace trace, String functionPrefix, int before, int after, double secondsPerMinute, double peakRate,
      long seed) {
    TraceSelection.Burst burst = functionPrefix == null
        ? TraceSelection.burstiest(trace, 100)
        : TraceSelection.burst(TraceSelection.byId(trace, List.of(functionPrefix)).get(0));
    int[] c = burst.function().perMinute();
    double threshold = 4 * (burst.baseline() + 1);
    int first = burst.peakIndex();
    while (first > 0 && c[first - 1] >= threshold) {
      first--;
    }
    int last = burst.peakIndex();
    while (last + 1 < c.length && c[last + 1] >= threshold) {
      last++;
    }
    int from = Math.max(0, first - before);
    int to = Math.min(c.length, last + 1 + after);
    double rateScale = peakRate * secondsPerMinute / burst.peak();
    return new Plan(Path.of(trace.source()), burst.function().function(), trace.firstMinute() + from, to - from,
        trace.firstMinute() + first, last - first + 1, secondsPerMinute, peakRate, rateScale, seed);
  }

  /** Runs the plan under each policy on nodes {@code nodes} starts fresh for it (one server, or a cluster's nodes). */
  public static JsonObject run(Vertx vertx, Trace trace, Plan plan, List<String> policies, DeployOptions deploy, LoadOptions load,
      Path out, PolicyNodes.Starter nodes, PrintStream log) throws IOException {
    TraceFunction fn = trace.functions().stream().filter(f -> f.function().equals(plan.function())).findFirst().orElseThrow();
    Trace one = trace.withFunctions(List.of(fn));
    ScheduleOptions so = new ScheduleOptions(plan.fromMinute(), plan.minutes(), plan.secondsPerMinute(), plan.rateScale(),
        Spread.POISSON, plan.seed(), 1.0, 30_000, 100, 64);
    Schedule schedule = Schedule.build(one, so);
    ReplayWindow burst = ReplayWindow.ofMinutes("burst", so, plan.burstFrom(), plan.burstMinutes());
    log.printf(Locale.ROOT, "spike: function %s, trace minutes %d-%d (burst %d-%d), %d calls, %.1f s per trace minute, "
            + "rate scale %.4f (peak %.1f calls/s)%n",
        fn.shortId(), plan.fromMinute(), plan.fromMinute() + plan.minutes() - 1, plan.burstFrom(),
        plan.burstFrom() + plan.burstMinutes() - 1, schedule.calls().size(), plan.secondsPerMinute(), plan.rateScale(), plan.peakRate());
    List<ComparisonRun.Row> rows = ComparisonRun.run(vertx, policies, "keep-alive", schedule, deploy, load, burst, out, nodes, log);
    JsonObject result = result(plan, fn, trace.firstMinute(), schedule, rows);
    Files.writeString(out.resolve("spike.json"), result.encodePrettily() + "\n", StandardCharsets.UTF_8);
    log.println();
    log.print(Report.table(rows, true));
    log.print(ratios(result));
    result.getJsonObject("policies").forEach(e -> log.printf("%s: machine load average before the run %s, send lag p99 %s ms%n",
        e.getKey(), ((JsonObject) e.getValue()).getString("load_average_before"), ((JsonObject) e.getValue()).getValue("send_lag_p99_ms")));
    return result;
  }

  static JsonObject result(Plan plan, TraceFunction fn, int traceFirstMinute, Schedule schedule, List<ComparisonRun.Row> rows) {
    JsonObject policies = policies(rows);
    return new JsonObject()
        .put("experiment", "load spike (MITOSIS), image function driven by a bursty Azure function")
        .put("plan", new JsonObject()
            .put("trace", plan.trace().toString())
            .put("function", fn.function())
            .put("trigger", fn.trigger())
            .put("from_minute", plan.fromMinute())
            .put("minutes", plan.minutes())
            .put("burst_from_minute", plan.burstFrom())
            .put("burst_minutes", plan.burstMinutes())
            .put("trace_counts", counts(fn, plan, traceFirstMinute))
            .put("seconds_per_minute", plan.secondsPerMinute())
            .put("compression", 60.0 / plan.secondsPerMinute())
            .put("peak_rate_per_s", plan.peakRate())
            .put("rate_scale", plan.rateScale())
            .put("seed", plan.seed())
            .put("calls", schedule.calls().size()))
        .put("policies", policies)
        .put("ratios", comparisons(policies));
  }

  /**
   * Per policy, what the spike reports: burst percentiles, and memory and instances as the run's
   * samples give them (on a cluster, the peak of the nodes' sums).
   */
  static JsonObject policies(List<ComparisonRun.Row> rows) {
    JsonObject policies = new JsonObject();
    for (ComparisonRun.Row r : rows) {
      JsonObject s = r.summary();
      JsonObject w = s.getJsonObject("window");
      LatencyStats b = LatencyStats.fromJson(w.getJsonObject("latency_ms"));
      LatencyStats all = LatencyStats.fromJson(s.getJsonObject("latency_ms"));
      JsonObject allCalls = s.getJsonObject("calls");
      policies.put(r.policy(), new JsonObject()
          .put("nodes", s.getValue("nodes"))
          .put("burst_p50_ms", nullIfNaN(b.p50()))
          .put("burst_p99_ms", nullIfNaN(b.p99()))
          .put("burst_p99_9_ms", nullIfNaN(b.p999()))
          .put("all_p99_ms", nullIfNaN(all.p99()))
          .put("burst_calls", w.getJsonObject("calls"))
          .put("burst_cold_start_share", w.getValue("cold_start_share"))
          .put("errors", allCalls.getLong("errors") + allCalls.getLong("dropped"))
          .put("peak_memory_mb", s.getJsonObject("memory_mb").getValue("peak"))
          .put("mean_memory_mb", s.getJsonObject("memory_mb").getValue("mean"))
          .put("peak_instances", s.getJsonObject("instances").getValue("peak"))
          .put("peak_seeds", s.getJsonObject("seeds").getValue("peak"))
          .put("send_lag_p99_ms", s.getJsonObject("send_lag_ms").getValue("p99"))
          .put("load_average_before", s.getJsonObject("machine").getString("load_average_before")));
    }
    return policies;
  }

  /** The {@link #COMPARISONS} of policies that both ran, with their goals. */
  static JsonArray comparisons(JsonObject policies) {
    JsonArray comparisons = new JsonArray();
    for (Comparison c : COMPARISONS) {
      JsonObject a = policies.getJsonObject(c.policy());
      JsonObject b = policies.getJsonObject(c.against());
      if (a == null || b == null) {
        continue;
      }
      Double p99 = ratio(a.getDouble("burst_p99_ms"), b.getDouble("burst_p99_ms"));
      // Percentiles cover answered calls only: a policy that failed many burst calls looks faster than it was.
      boolean overloaded = errorShare(a) > OVERLOAD_ERROR_SHARE || errorShare(b) > OVERLOAD_ERROR_SHARE;
      Double mem = ratio(a.getDouble("peak_memory_mb"), b.getDouble("peak_memory_mb"));
      JsonObject o = new JsonObject()
          .put("policy", c.policy())
          .put("against", c.against())
          .put("burst_p99_ratio", p99)
          .put("peak_memory_ratio", mem)
          .put("overloaded", overloaded);
      if (c.p99Goal() != null) {
        o.put("p99_goal", c.p99Goal()).put("p99_goal_met", !overloaded && p99 != null && p99 <= c.p99Goal());
      }
      if (c.memoryGoal() != null) {
        o.put("memory_goal", c.memoryGoal()).put("memory_goal_met", !overloaded && mem != null && mem <= c.memoryGoal());
      }
      if (c.noErrorsGoal()) {
        o.put("errors", a.getLong("errors")).put("no_errors_goal_met", a.getLong("errors") == 0);
      }
      comparisons.add(o);
    }
    return comparisons;
  }

  private static JsonArray counts(TraceFunction fn, Plan plan, int traceFirstMinute) {
    JsonArray a = new JsonArray();
    for (int m = 0; m < plan.minutes(); m++) {
      a.add(fn.perMinute()[plan.fromMinute() - traceFirstMinute + m]);
    }
    return a;
  }

  private static double errorShare(JsonObject policy) {
    Double share = policy.getJsonObject("burst_calls").getDouble("error_share");
    return share == null ? 0 : share;
  }

  static String ratios(JsonObject result) {
    StringBuilder b = new StringBuilder();
    for (Object o : result.getJsonArray("ratios")) {
      JsonObject r = (JsonObject) o;
      b.append(String.format(Locale.ROOT, "%s vs %s: burst p99 ratio %s, peak memory ratio %s%s%n",
          r.getString("policy"), r.getString("against"), fmt(r.getDouble("burst_p99_ratio")), fmt(r.getDouble("peak_memory_ratio")),
          r.getBoolean("overloaded")
              ? String.format(Locale.ROOT, "  (over %.0f%% of a policy's burst calls failed: not a fair comparison)",
                  OVERLOAD_ERROR_SHARE * 100)
              : goals(r)));
    }
    return b.toString();
  }

  /** "  (goal p99 <= 0.05: met, memory <= 0.10: NOT met, no errors: met)", or "" for a comparison without goals. */
  private static String goals(JsonObject r) {
    List<String> parts = new ArrayList<>();
    if (r.containsKey("p99_goal")) {
      parts.add(String.format(Locale.ROOT, "p99 <= %.2f: %s", r.getDouble("p99_goal"), metOrNot(r.getBoolean("p99_goal_met"))));
    }
    if (r.containsKey("memory_goal")) {
      parts.add(String.format(Locale.ROOT, "memory <= %.2f: %s", r.getDouble("memory_goal"),
          metOrNot(r.getBoolean("memory_goal_met"))));
    }
    if (r.containsKey("no_errors_goal_met")) {
      parts.add("no errors: " + metOrNot(r.getBoolean("no_errors_goal_met")) + " (" + r.getLong("errors") + ")");
    }
    return parts.isEmpty() ? "" : "  (goal " + String.join(", ", parts) + ")";
  }

  private static String metOrNot(boolean met) {
    return met ? "met" : "NOT met";
  }

  private static String fmt(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static Double ratio(Double a, Double b) {
    return a == null || b == null || b == 0 ? null : Math.round(a / b * 10000.0) / 10000.0;
  }

  private static Double nullIfNaN(double v) {
    return Double.isNaN(v) ? null : v;
  }

  static DeployOptions imageDeploy(Path imageDir, int idleTimeoutS, long ioMs) {
    return new DeployOptions(Workload.IMAGE, Map.of(), idleTimeoutS, false, imageDir, 256, ioMs, true);
  }
}
