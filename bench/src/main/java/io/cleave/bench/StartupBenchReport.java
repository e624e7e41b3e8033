package io.cleave.bench;

import io.cleave.client.TextTable;
import io.cleave.bench.StartupBenchFigures.Metric;
import io.cleave.bench.replay.LatencyStats;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The startup benchmark's figures as files ({@code summary.json}, CSVs, PNGs) and as the table
 * shaped like MITOSIS's Table 1 (cold start / caching / fork), ratios against cold from the same run.
 */
public final class StartupBenchReport {
  public static final String SUMMARY = "summary.json";
  public static final String SAMPLES_CSV = "samples.csv";
  public static final String STATS_CSV = "stats.csv";
  public static final String FORK_RATE_CSV = "fork_rate.csv";
  public static final String MEMORY_CSV = "memory.csv";
  public static final String LATENCY_PNG = "startup_latency.png";
  public static final String FORK_RATE_PNG = "fork_rate.png";

  static final double TARGET_FORK_START_MS = 3.0;
  static final double TARGET_FORKD_START_MS = 2.0;
  static final double TARGET_FORK_VS_COLD = 40.0;
  static final double TARGET_FORKD_VS_COLD = 30.0;
  static final double TARGET_HELLO_FORK_START_MS = 2.0;
  static final double TARGET_CPU_PER_FORK_MS = 2.0;
  static final double TARGET_FORK_RATE = 1000.0;
  static final double MB = 1024.0 * 1024.0;

  /** Start latency as a call sees it: its end-to-end latency minus the p50 of the direct call. */
  enum StartMetric {
    COLD("cold", Metric.INVOKE_COLD),
    WARM("warm", Metric.INVOKE_WARM),
    FORK("fork", Metric.INVOKE_FORK);

    final String mode;
    final Metric invoke;

    StartMetric(String mode, Metric invoke) {
      this.mode = mode;
      this.invoke = invoke;
    }
  }

  private final List<StartupBenchFigures> functions;
  private final StartupBench.Settings settings;
  private final double seconds;
  /** The machine's 1-minute load average when the run started and when it ended (NaN if unknown). */
  private final double loadBefore;
  private final double loadAfter;
  private final MachineCosts costs;

  StartupBenchReport(List<StartupBenchFigures> functions, StartupBench.Settings settings, double seconds, double loadBefore,
      double loadAfter, MachineCosts costs) {
    this.functions = functions;
    this.settings = settings;
    this.seconds = seconds;
    this.loadBefore = loadBefore;
    this.loadAfter = loadAfter;
    this.costs = costs;
  }

  /** Start latency samples of one mode for one function (see {@link StartMetric}). */
  static double[] start(StartupBenchFigures f, StartMetric m) {
    double base = f.stats(Metric.DIRECT_WARM).p50();
    return f.samples(m.invoke).stream().mapToDouble(v -> v - base).toArray();
  }

  static LatencyStats startStats(StartupBenchFigures f, StartMetric m) {
    return LatencyStats.of(start(f, m));
  }

  static double gatewayOverheadP50(StartupBenchFigures f) {
    return f.stats(Metric.INVOKE_WARM).p50() - f.stats(Metric.DIRECT_WARM).p50();
  }

  private StartupBenchFigures of(StartupBenchFunction fn) {
    return functions.stream().filter(f -> f.function() == fn).findFirst().orElseThrow();
  }

  // ------------------------------------------------------------------------------ summary

  public JsonObject summary() {
    JsonObject s = new JsonObject()
        .put("benchmark", "startup")
        .put("seconds", round(seconds))
        .put("machine", costs.summary(loadBefore, loadAfter))
        .put("settings", settingsJson())
        .put("definitions", definitions());
    for (StartupBenchFigures f : functions) {
      s.put(f.function().label(), functionJson(f));
    }
    StartupBenchFigures hello = of(StartupBenchFunction.HELLO);
    StartupBenchFigures image = of(StartupBenchFunction.IMAGE);
    s.put("fork_rate_per_s", round(hello.bestRate()));
    s.put("gateway_overhead_p50_ms", round(gatewayOverheadP50(hello)));
    StartupBenchWarmLoad.summarise(hello, s);
    s.put("targets", targets(hello, image));
    return s;
  }

  private JsonObject functionJson(StartupBenchFigures f) {
    JsonObject o = new JsonObject();
    LatencyStats cold = startStats(f, StartMetric.COLD);
    for (StartMetric m : StartMetric.values()) {
      LatencyStats st = startStats(f, m);
      o.put(m.mode + "_p50_ms", round(st.p50())).put(m.mode + "_p99_ms", round(st.p99()));
    }
    o.put("warm_vs_cold_p50", ratio(startStats(f, StartMetric.WARM).p50(), cold.p50()));
    o.put("fork_vs_cold_p50", ratio(startStats(f, StartMetric.FORK).p50(), cold.p50()));
    o.put("gateway_overhead_p50_ms", round(gatewayOverheadP50(f)));
    JsonObject metrics = new JsonObject();
    for (Metric m : Metric.values()) {
      metrics.put(m.id(), stats(f.stats(m)));
    }
    o.put("metrics", metrics);
    LatencyStats forkdCold = f.stats(Metric.FORKD_COLD);
    LatencyStats forkdFork = f.stats(Metric.FORKD_FORK);
    o.put("forkd_cold_p50_ms", round(forkdCold.p50())).put("forkd_fork_p50_ms", round(forkdFork.p50()))
        .put("forkd_fork_p99_ms", round(forkdFork.p99()))
        .put("forkd_fork_vs_cold_p50", ratio(forkdFork.p50(), forkdCold.p50()));
    o.put("memory", new JsonObject()
        .put("group", Math.min(settings.memoryGroup(), settings.forkdStarts()))
        .put("instance_pss_mb", round(f.meanPss(StartupBenchFigures.COLD_INSTANCE) / MB))
        .put("fork_child_pss_mb", round(f.meanPss(StartupBenchFigures.FORK_CHILD) / MB))
        .put("seed_pss_mb", round(f.meanPss(StartupBenchFigures.SEED) / MB))
        .put("instance_cgroup_mb", round(f.meanCgroup(StartupBenchFigures.COLD_INSTANCE) / MB))
        .put("fork_child_cgroup_mb", round(f.meanCgroup(StartupBenchFigures.FORK_CHILD) / MB)));
    o.put("fork_rate_per_s", round(f.bestRate()));
    JsonArray rates = new JsonArray();
    for (StartupBenchFigures.Rate r : f.rates()) {
      LatencyStats st = LatencyStats.of(r.startMs().stream().mapToDouble(Double::doubleValue).toArray());
      JsonObject cpu = new JsonObject();
      r.cpuMsPerFork().forEach((k, v) -> cpu.put(k, round(v)));
      rates.add(new JsonObject().put("concurrency", r.concurrency()).put("forks", r.forks()).put("seconds", round(r.seconds()))
          .put("per_s", round(r.perSecond())).put("start_p50_ms", round(st.p50())).put("start_p99_ms", round(st.p99()))
          .put("cpu_ms_per_fork", cpu));
    }
    o.put("fork_rate", rates);
    o.put("fork_path", StartupBenchForkPath.summary(f));
    JsonObject stray = new JsonObject();
    f.strayModes().forEach(stray::put);
    o.put("stray_start_modes", stray);
    return o;
  }

  private JsonObject settingsJson() {
    return new JsonObject()
        .put("cold_calls", settings.coldCalls())
        .put("warm_calls", settings.warmCalls())
        .put("warmup_calls", settings.warmup())
        .put("fork_rounds", settings.forkRounds())
        .put("fork_burst", settings.forkBurst())
        .put("forkd_starts", settings.forkdStarts())
        .put("memory_group", settings.memoryGroup())
        .put("fork_concurrency", new JsonArray(settings.concurrencyLevels()))
        .put("forks_per_level", settings.forksPerLevel())
        .put("fork_ahead", settings.forkAhead())
        .put("warm_connections", settings.warmConnections())
        .put("warm_seconds", settings.warmSeconds())
        .put("image_dir", settings.imageDir().toString());
  }

  private static JsonObject definitions() {
    JsonObject d = new JsonObject()
        .put(MachineCosts.DEFINED, MachineCosts.DEFINITION)
        .put("<fn>.{cold,warm,fork}_p50_ms", "start latency as a call sees it: the call's end-to-end latency through the "
            + "gateway minus the p50 of the same call sent straight to a warm instance's unix socket (the function's own "
            + "work); for warm calls this is the gateway + invoker overhead")
        .put("gateway_overhead_p50_ms", "p50 of warm calls through the gateway minus p50 of the same calls sent straight "
            + "to the instance's unix socket (alternated), hello function")
        .put("fork_rate_per_s", "hello function: most instances per second forked from one seed through forkd's order channel, "
            + "over the concurrency levels tried (each fork counted once its listener socket exists)")
        .put("<fn>.forkd_*", "forkd's start_ms (request received to the instance's socket present), no gateway, no invoker")
        .put("<fn>.fork_path", "p50 of each step of a fork measured on its own: fork orders sent straight to the seed's "
            + "control socket (seed_fork_ms to its answer, seed_order_to_listener_ms to the child's socket), forkd's start_ms, "
            + "the ForkdClient round trip (forkd's order channel), the invoker's init_ms (0 for children parked ahead), the first "
            + "call on a fresh child; *_share_ms are differences "
            + "of those medians; cpu_ms_per_fork from /proc/PID/task/*/schedstat over the fork-rate run at concurrency 1")
        .put("warm_rps", "warm-throughput run, hello function, keep-alive policy: calls answered per second with "
            + "settings.warm_connections keep-alive connections each sending its next call when the last answered, "
            + "for settings.warm_seconds; warm_p50_ms / warm_p99_ms their latency through the gateway, "
            + "warm_overhead_p50_ms that p50 minus the p50 of the same call sent straight to an instance")
        .put("<fn>.memory", "mean PSS and cgroup usage per instance with a group of instances of the kind alive side by "
            + "side, each having served one call");
    for (Metric m : Metric.values()) {
      d.put("metrics." + m.id(), m.meaning());
    }
    return d;
  }

  /**
   * The fast path's goals (issue 12) and the design's in-forkd ones: the image function's fork start
   * through the gateway and in forkd, the hello function's, the fork rate and the CPU a fork costs.
   */
  private JsonArray targets(StartupBenchFigures hello, StartupBenchFigures image) {
    double fork = startStats(image, StartMetric.FORK).p50();
    double cold = startStats(image, StartMetric.COLD).p50();
    double helloFork = startStats(hello, StartMetric.FORK).p50();
    double forkd = image.stats(Metric.FORKD_FORK).p50();
    double forkdCold = image.stats(Metric.FORKD_COLD).p50();
    double rate = hello.bestRate();
    double cpu = hello.cpuMsPerForkOneAtATime();
    return new JsonArray()
        .add(target("image fork start p50 (through the gateway) <= 3 ms", fork, fork <= TARGET_FORK_START_MS))
        .add(target("image fork start p50 in forkd <= 2 ms", forkd, forkd <= TARGET_FORKD_START_MS))
        .add(target("image cold/fork start p50 >= 40 (through the gateway)", cold / fork, cold / fork >= TARGET_FORK_VS_COLD))
        .add(target("image cold/fork start p50 >= 30 (forkd)", forkdCold / forkd, forkdCold / forkd >= TARGET_FORKD_VS_COLD))
        .add(target("hello fork start p50 (through the gateway) <= 2 ms", helloFork, helloFork <= TARGET_HELLO_FORK_START_MS))
        .add(target(">= 1000 forked instances/s from one seed", rate, rate >= TARGET_FORK_RATE))
        .add(target("hello CPU per fork, all processes <= 2 ms", cpu, cpu <= TARGET_CPU_PER_FORK_MS))
        .addAll(StartupBenchWarmLoad.targets(hello, gatewayOverheadP50(hello)));
  }

  private static JsonObject target(String what, double value, boolean met) {
    return new JsonObject().put("target", what).put("measured", round(value)).put("met", met && !Double.isNaN(value));
  }

  private static JsonObject stats(LatencyStats s) {
    JsonObject o = new JsonObject().put("count", s.count());
    if (s.count() > 0) {
      o.put("p50", round(s.p50())).put("p99", round(s.p99())).put("mean", round(s.mean())).put("max", round(s.max()));
    }
    return o;
  }

  // -------------------------------------------------------------------------------- files

  void write(Path out) throws IOException {
    Files.createDirectories(out);
    JsonObject summary = summary();
    Path previous = out.resolve(SUMMARY);
    if (Files.isRegularFile(previous)) {
      // The Java run's figures (--runtime java) share the file: they stay until that run writes again.
      JsonObject java = new JsonObject(Files.readString(previous, StandardCharsets.UTF_8)).getJsonObject("java");
      if (java != null) {
        summary.put("java", java);
      }
    }
    Files.writeString(out.resolve(SUMMARY), summary.encodePrettily() + "\n", StandardCharsets.UTF_8);
    Files.writeString(out.resolve(SAMPLES_CSV), StartupBenchCsv.samples(functions), StandardCharsets.UTF_8);
    Files.writeString(out.resolve(STATS_CSV), StartupBenchCsv.stats(functions), StandardCharsets.UTF_8);
    Files.writeString(out.resolve(FORK_RATE_CSV), StartupBenchCsv.forkRate(functions), StandardCharsets.UTF_8);
    Files.writeString(out.resolve(MEMORY_CSV), StartupBenchCsv.memory(functions), StandardCharsets.UTF_8);
    StartupBenchCharts.latency(out.resolve(LATENCY_PNG), functions);
    StartupBenchCharts.forkRate(out.resolve(FORK_RATE_PNG), functions);
  }

  // -------------------------------------------------------------------------------- table

  /** The table shaped like MITOSIS's Table 1 (cold start / caching / fork), with ratios against cold. */
  public String table() {
    TextTable t = new TextTable("", "cold start", "caching (warm)", "fork");
    for (StartupBenchFigures f : functions) {
      String fn = f.function().label();
      LatencyStats cold = startStats(f, StartMetric.COLD);
      LatencyStats warm = startStats(f, StartMetric.WARM);
      LatencyStats fork = startStats(f, StartMetric.FORK);
      t.row(fn + ": start latency p50 / p99 (ms)", pair(cold), pair(warm), pair(fork));
      t.row(fn + ":   vs cold (p50)", "1", ratioText(warm.p50(), cold.p50()), ratioText(fork.p50(), cold.p50()));
      LatencyStats fc = f.stats(Metric.FORKD_COLD);
      LatencyStats ff = f.stats(Metric.FORKD_FORK);
      t.row(fn + ": start in forkd p50 / p99 (ms)", pair(fc), "-", pair(ff));
      t.row(fn + ":   vs cold (p50)", "1", "-", ratioText(ff.p50(), fc.p50()));
      t.row(fn + ": invoker init_ms p50 / p99", pair(f.stats(Metric.INIT_COLD)), "0 (reused)", pair(f.stats(Metric.INIT_FORK)));
      t.row(fn + ": invoke end-to-end p50 / p99 (ms)", pair(f.stats(Metric.INVOKE_COLD)), pair(f.stats(Metric.INVOKE_WARM)),
          pair(f.stats(Metric.INVOKE_FORK)));
      double instance = f.meanPss(StartupBenchFigures.COLD_INSTANCE) / MB;
      double child = f.meanPss(StartupBenchFigures.FORK_CHILD) / MB;
      double seed = f.meanPss(StartupBenchFigures.SEED) / MB;
      t.row(fn + ": memory per instance, PSS (MB)", mb(instance), mb(instance) + " each, kept",
          mb(child) + " + seed " + mb(seed));
    }
    t.row("resources for n concurrent calls", "O(1): none kept", "O(n) instances kept", "O(1): one seed per node");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    t.print(p);
    StartupBenchFigures hello = of(StartupBenchFunction.HELLO);
    StartupBenchFigures image = of(StartupBenchFunction.IMAGE);
    p.printf(Locale.ROOT, "machine: %d cores, 1-minute load average %s at start, %s at end (other work shares it)%n",
        Runtime.getRuntime().availableProcessors(), fixed(loadBefore, 1), fixed(loadAfter, 1));
    p.println(costs.line());
    p.printf(Locale.ROOT, "fork rate from one seed (best of %s concurrent orders): hello %s/s, image %s/s%n",
        settings.concurrencyLevels(), fixed(hello.bestRate(), 0), fixed(image.bestRate(), 0));
    p.printf(Locale.ROOT, "gateway overhead p50 (warm through the gateway - same call on the instance socket): "
        + "hello %s ms, image %s ms%n", fixed(gatewayOverheadP50(hello), 3), fixed(gatewayOverheadP50(image), 3));
    JsonObject warm = new JsonObject();
    StartupBenchWarmLoad.summarise(hello, warm);
    p.printf(Locale.ROOT, "warm throughput (hello, %d keep-alive connections, %s s): %s calls/s, p50 %s ms, p99 %s ms, "
            + "overhead p50 %s ms%n", settings.warmConnections(), fixed(settings.warmSeconds(), 0),
        fixed(warm.getDouble("warm_rps"), 0), fixed(warm.getDouble("warm_p50_ms"), 2), fixed(warm.getDouble("warm_p99_ms"), 2),
        fixed(warm.getDouble("warm_overhead_p50_ms"), 3));
    p.println(StartupBenchWarmLoad.cpuLine(warm));
    if (settings.forkAhead() > 0) {
      p.printf(Locale.ROOT, "fork calls through the gateway took children parked ahead (--fork-ahead %d): their invoker "
          + "init is 0, the fork path below is that of a fork made on demand%n", settings.forkAhead());
    }
    for (StartupBenchFigures f : functions) {
      JsonObject fp = StartupBenchForkPath.summary(f);
      // A parked child's call waited for no start: its init is 0 and says nothing of the invoker's share.
      Double initMs = fp.getDouble("invoker_init_ms");
      String init = initMs == null || initMs > 0
          ? fixed(initMs, 0) + " (+" + fixed(fp.getDouble("invoker_share_ms"), 1) + ")"
          : "0 (children parked ahead)";
      p.printf(Locale.ROOT, "%s fork path, p50 ms: seed os.fork %s, child ready %s later (order to listener %s); forkd start %s "
              + "(+%s); order channel round trip %s (+%s); invoker init %s; first call on the child %s (warm %s); "
              + "fork call end to end %s%n",
          f.function().label(), fixed(fp.getDouble("seed_fork_ms"), 2), fixed(fp.getDouble("child_ready_after_answer_ms"), 2),
          fixed(fp.getDouble("seed_order_to_listener_ms"), 2), fixed(fp.getDouble("forkd_start_ms"), 2),
          fixed(fp.getDouble("forkd_share_ms"), 2), fixed(fp.getDouble("rpc_round_trip_ms"), 2),
          fixed(fp.getDouble("rpc_share_ms"), 2), init,
          fixed(fp.getDouble("first_call_on_child_ms"), 2), fixed(fp.getDouble("warm_direct_call_ms"), 2),
          fixed(fp.getDouble("fork_call_end_to_end_ms"), 2));
      JsonObject cpu = fp.getJsonObject("cpu_ms_per_fork_one_at_a_time");
      if (cpu != null) {
        p.printf(Locale.ROOT, "%s CPU per fork (ms, one order at a time): %s%n", f.function().label(),
            String.join(", ", cpu.fieldNames().stream().map(k -> k + " " + fixed(cpu.getDouble(k), 2)).toList()));
      }
    }
    for (Object o : summary().getJsonArray("targets")) {
      JsonObject tg = (JsonObject) o;
      p.printf(Locale.ROOT, "target %-55s measured %-10s %s%n", tg.getString("target"), fixed(tg.getDouble("measured"), 3),
          tg.getBoolean("met") ? "met" : "NOT met");
    }
    for (StartupBenchFigures f : functions) {
      f.strayModes().forEach((what, n) -> p.printf(Locale.ROOT, "note: %s: %d %s (not counted)%n", f.function().label(), n, what));
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static String pair(LatencyStats s) {
    return s.count() == 0 ? "-" : fixed(s.p50(), 2) + " / " + fixed(s.p99(), 2);
  }

  private static String ratioText(double a, double b) {
    Double r = ratio(a, b);
    return r == null ? "-" : String.format(Locale.ROOT, "%.4f (%sx faster)", r, fixed(b / a, 1));
  }

  private static String mb(double v) {
    return fixed(v, 1);
  }

  private static String fixed(Double v, int digits) {
    return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
  }

  static Double ratio(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
      return null;
    }
    return Math.round(a / b * 10000.0) / 10000.0;
  }

  static Double round(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : Math.round(v * 1000.0) / 1000.0;
  }
}
