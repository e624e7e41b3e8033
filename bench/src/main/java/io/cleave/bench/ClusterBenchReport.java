package io.cleave.bench;

import io.cleave.bench.ClusterBenchCalls.Call;
import io.cleave.bench.ClusterBenchCalls.Kind;
import io.cleave.bench.replay.LatencyStats;
import io.cleave.client.TextTable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cluster benchmark's figures as files ({@code summary.json}, CSVs of every call, of the
 * nodes' gauges and of the rate rounds, a PNG) and as a table with ratios against cold from the
 * same run, then the targets as findings ("met" / "NOT met"), never as errors.
 */
public final class ClusterBenchReport {
  public static final String SUMMARY = "summary.json";
  public static final String CALLS_CSV = "calls.csv";
  public static final String STATS_CSV = "stats.csv";
  public static final String RATES_CSV = "rates.csv";
  public static final String SEEDS_CSV = "seeds.csv";
  public static final String START_MODES_PNG = "start_modes.png";

  static final double TARGET_IMAGE_REMOTE_FORK_MS = 15.0;
  static final double TARGET_IMAGE_COLD_OVER_REMOTE_FORK = 10.0;
  static final double TARGET_HELLO_REMOTE_FORK_MS = 6.0;
  static final int TARGET_SEEDS_PER_FUNCTION = 1;
  static final double TARGET_REMOTE_FORK_RATE = 300.0;

  /** The start modes compared, in the order shown; each a kind of counted call. */
  static final List<Kind> MODES = List.of(Kind.COLD, Kind.LOCAL_FORK, Kind.REMOTE_FORK, Kind.WARM);

  /** What the run was: its settings, the cluster's node names (seed node first), the load it ran under. */
  public record Run(ClusterBenchSettings settings, String clusterName, List<String> nodes, double seconds,
      double loadAtStart, double loadAtEnd, MachineCosts costs) {}

  private final Run run;
  private final ClusterBenchCalls calls;
  private final List<ClusterBenchNodes.Sample> samples;
  private final Map<String, Integer> seedsPerFunction;
  private final ClusterBenchNodes.RemotePages remotePages;
  private final Map<String, Long> partialSamples;
  private final Map<String, ClusterBenchJit.Warmup> jitWarmups;

  /** The report of a finished run: {@code bench} has run, {@code calls} holds every call made (cold ones too). */
  public static ClusterBenchReport of(Run run, ClusterBenchCalls calls, ClusterBench bench) {
    return new ClusterBenchReport(run, calls, bench);
  }

  private ClusterBenchReport(Run run, ClusterBenchCalls calls, ClusterBench bench) {
    this.run = run;
    this.calls = calls;
    this.samples = bench.samples();
    this.seedsPerFunction = bench.seedsPerFunction();
    this.remotePages = bench.remotePages();
    this.partialSamples = bench.partialSamples();
    this.jitWarmups = bench.jitWarmups();
  }

  // ------------------------------------------------------------------------------ summary

  public JsonObject summary() {
    JsonObject s = new JsonObject()
        .put("benchmark", "cluster")
        .put("seconds", round(run.seconds()))
        .put("machine", run.costs().summary(run.loadAtStart(), run.loadAtEnd()))
        .put("settings", run.settings().toJson().put("rate_hold_ms", ClusterBench.RATE_HOLD_MS))
        .put("cluster", new JsonObject().put("name", run.clusterName()).put("nodes", new JsonArray(run.nodes()))
            .put("seed_node", run.nodes().get(0)).put("restoring_nodes", new JsonArray(run.nodes().subList(1, run.nodes().size())))
            .put("policy", "remote-fork"))
        .put("definitions", ClusterBenchText.definitions());
    for (StartupBenchFunction f : StartupBenchFunction.values()) {
      s.put(f.label(), functionJson(f.label()));
    }
    s.put("remote_fork_rate_per_s", round(calls.bestRate(StartupBenchFunction.HELLO.label())));
    s.put("remote_fork_cpu_ms_per_fork", round(bestRoundCpuPerFork(StartupBenchFunction.HELLO.label())));
    s.put("seeds_per_function", seedsPerFunction());
    s.put("pages_fetched_ratio", remotePages.fetchedRatio());
    s.put("remote_fork_pages", new JsonObject().put("network", remotePages.network()).put("cache", remotePages.cache()));
    s.put("targets", targets());
    return s;
  }

  /** The most seeds one function had at any sample, summed over the nodes. */
  int seedsPerFunction() {
    return seedsPerFunction.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
  }

  private JsonObject functionJson(String fn) {
    JsonObject o = new JsonObject();
    double cold = calls.stats(fn, Kind.COLD).p50();
    for (Kind k : MODES) {
      LatencyStats st = calls.stats(fn, k);
      String key = k.id.replace('-', '_');
      o.put(key + "_p50_ms", round(st.p50())).put(key + "_p99_ms", round(st.p99())).put(key + "_calls", st.count());
    }
    for (Kind k : List.of(Kind.LOCAL_FORK, Kind.REMOTE_FORK, Kind.WARM)) {
      o.put("cold_over_" + k.id.replace('-', '_') + "_p50", ratio(cold, calls.stats(fn, k).p50()));
    }
    o.put("first_call_in_cluster_ms", round(calls.firstCallMs(fn)));
    o.put("remote_over_local_fork_p50", ratio(calls.stats(fn, Kind.REMOTE_FORK).p50(), calls.stats(fn, Kind.LOCAL_FORK).p50()));
    o.put("local_fork_init_p50_ms", round(calls.initStats(fn, Kind.LOCAL_FORK).p50()));
    o.put("remote_fork_init_p50_ms", round(calls.initStats(fn, Kind.REMOTE_FORK).p50()));
    o.put("remote_fork_rate_per_s", round(calls.bestRate(fn)));
    o.put("remote_fork_cpu_ms_per_fork", round(bestRoundCpuPerFork(fn)));
    JsonArray rates = new JsonArray();
    for (ClusterBenchCalls.Rate r : calls.rates(fn)) {
      JsonArray cpuMs = new JsonArray();
      r.cpuMs().forEach(v -> cpuMs.add(round(v)));
      JsonArray idleMs = new JsonArray();
      r.idleMs().forEach(v -> idleMs.add(round(v)));
      rates.add(new JsonObject().put("round", r.round()).put("nodes", r.nodes()).put("calls", r.calls())
          .put("remote_forks", r.remoteForks()).put("wall_ms", round(r.wallMs())).put("per_s", round(r.perSecond()))
          .put("cpu_ms_by_node", cpuMs).put("idle_cpu_ms_by_node", idleMs).put("cpu_ms_per_remote_fork", round(r.cpuMsPerRemoteFork())));
    }
    o.put("rate_rounds", rates);
    ClusterBenchJit.Warmup jit = jitWarmups.get(fn);
    if (jit != null) {
      o.put("jit_warmup", new JsonObject().put("calls", jit.calls()).put("seconds", round(jit.seconds()))
          .put("last_jit_share", round(jit.lastJitShare())));
    }
    o.put("seeds_per_function", seedsPerFunction.getOrDefault(fn, -1));
    o.put("seed_samples_with_a_silent_node", partialSamples.getOrDefault(fn, 0L));
    JsonObject seedNodes = new JsonObject();
    calls.seedNodes(fn).forEach(seedNodes::put);
    o.put("remote_forks_by_seed_node", seedNodes);
    JsonObject strays = new JsonObject();
    calls.strays(fn).forEach(strays::put);
    o.put("not_counted", strays);
    o.put("failed_calls", calls.failures(fn));
    return o;
  }

  private JsonArray targets() {
    String image = StartupBenchFunction.IMAGE.label();
    String hello = StartupBenchFunction.HELLO.label();
    double imageRemote = calls.stats(image, Kind.REMOTE_FORK).p50();
    double imageCold = calls.stats(image, Kind.COLD).p50();
    double helloRemote = calls.stats(hello, Kind.REMOTE_FORK).p50();
    double rate = calls.bestRate(hello);
    int seeds = seedsPerFunction();
    return new JsonArray()
        .add(target("image remote fork p50 <= 15 ms", imageRemote, imageRemote <= TARGET_IMAGE_REMOTE_FORK_MS))
        .add(target("image cold / remote fork p50 >= 10", imageCold / imageRemote,
            imageCold / imageRemote >= TARGET_IMAGE_COLD_OVER_REMOTE_FORK))
        .add(target("hello remote fork p50 <= 6 ms", helloRemote, helloRemote <= TARGET_HELLO_REMOTE_FORK_MS))
        .add(target("seeds per function = 1", seeds, seeds == TARGET_SEEDS_PER_FUNCTION))
        .add(target(">= 300 remote forks/s from one seed", rate, rate >= TARGET_REMOTE_FORK_RATE));
  }

  private static JsonObject target(String what, double value, boolean met) {
    return new JsonObject().put("target", what).put("measured", round(value)).put("met", met && !Double.isNaN(value));
  }

  // -------------------------------------------------------------------------------- files

  /** Writes every output file into {@code dir}. */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(SUMMARY), summary().encodePrettily() + "\n");
    Files.writeString(dir.resolve(CALLS_CSV), callsCsv());
    Files.writeString(dir.resolve(STATS_CSV), statsCsv());
    Files.writeString(dir.resolve(RATES_CSV), ratesCsv());
    Files.writeString(dir.resolve(SEEDS_CSV), seedsCsv());
    ClusterBenchChart.startModes(dir.resolve(START_MODES_PNG), calls, run.nodes().get(0));
  }

  private String callsCsv() {
    StringBuilder b = new StringBuilder("function,kind,round,gateway,ran_on,start_mode,status,counted,latency_ms,sent_ms,"
        + "call_id,init_ms,seed_node\n");
    for (Call c : calls.all()) {
      ClusterBenchCalls.Activation a = calls.activationOf(c.callId());
      b.append(String.join(",", c.function(), c.kind().id, Integer.toString(c.round()), c.gateway(), text(c.ranOn()),
          text(c.startMode()), Integer.toString(c.status()), Boolean.toString(c.counted()), num(c.latencyMs()), num(c.sentMs()),
          text(c.callId()), a == null || a.initMs() < 0 ? "" : Long.toString(a.initMs()), a == null ? "" : text(a.seedNode())))
          .append('\n');
    }
    return b.toString();
  }

  private String statsCsv() {
    StringBuilder b = new StringBuilder("function,mode,count,p50_ms,p90_ms,p99_ms,mean_ms,max_ms,init_p50_ms\n");
    for (StartupBenchFunction f : StartupBenchFunction.values()) {
      for (Kind k : MODES) {
        LatencyStats s = calls.stats(f.label(), k);
        b.append(String.join(",", f.label(), k.id, Integer.toString(s.count()), num(s.p50()), num(s.p90()), num(s.p99()),
            num(s.mean()), num(s.max()), num(calls.initStats(f.label(), k).p50()))).append('\n');
      }
    }
    return b.toString();
  }

  private String ratesCsv() {
    StringBuilder b = new StringBuilder("function,round,nodes,calls,remote_forks,wall_ms,per_s,cpu_ms_per_remote_fork\n");
    for (ClusterBenchCalls.Rate r : calls.rates()) {
      b.append(String.join(",", r.function(), Integer.toString(r.round()), Integer.toString(r.nodes()),
          Integer.toString(r.calls()), Integer.toString(r.remoteForks()), num(r.wallMs()), num(r.perSecond()),
          num(r.cpuMsPerRemoteFork()))).append('\n');
    }
    return b.toString();
  }

  /** The nodes' CPU per remote fork in the function's best rate round (NaN when not measured). */
  private double bestRoundCpuPerFork(String fn) {
    return calls.rates(fn).stream().filter(r -> !Double.isNaN(r.perSecond()))
        .max(Comparator.comparingDouble(ClusterBenchCalls.Rate::perSecond))
        .map(ClusterBenchCalls.Rate::cpuMsPerRemoteFork).orElse(Double.NaN);
  }

  private String seedsCsv() {
    List<String> header = new ArrayList<>(List.of("t_ms", "function"));
    for (String n : run.nodes()) {
      header.add(n + "_seeds");
      header.add(n + "_instances");
    }
    header.add("seeds_total");
    StringBuilder b = new StringBuilder(String.join(",", header)).append('\n');
    for (ClusterBenchNodes.Sample s : samples) {
      List<String> row = new ArrayList<>(List.of(num(s.tMs()), s.phase()));
      for (ClusterBenchNodes.Load l : s.nodes()) {
        row.add(l.seeds() < 0 ? "" : Integer.toString(l.seeds()));
        row.add(l.instances() < 0 ? "" : Integer.toString(l.instances()));
      }
      row.add(Integer.toString(s.seeds()));
      b.append(String.join(",", row)).append('\n');
    }
    return b.toString();
  }

  // -------------------------------------------------------------------------------- table

  /** The table printed at the end, then the load, rate, seeds and targets lines. */
  public String table() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    TextTable t = new TextTable("END-TO-END P50 / P99 (MS)", "COLD", "LOCAL FORK", "REMOTE FORK", "WARM");
    for (StartupBenchFunction f : StartupBenchFunction.values()) {
      List<String> row = new ArrayList<>(List.of(f.label()));
      for (Kind k : MODES) {
        LatencyStats s = calls.stats(f.label(), k);
        row.add(s.count() == 0 ? "-" : fixed(s.p50(), 2) + " / " + fixed(s.p99(), 2) + " (" + s.count() + ")");
      }
      t.row(row.toArray(String[]::new));
      double cold = calls.stats(f.label(), Kind.COLD).p50();
      List<String> ratios = new ArrayList<>(List.of(f.label() + ": cold / mode", "1"));
      for (Kind k : List.of(Kind.LOCAL_FORK, Kind.REMOTE_FORK, Kind.WARM)) {
        Double r = ratio(cold, calls.stats(f.label(), k).p50());
        ratios.add(r == null ? "-" : fixed(r, 1) + "x");
      }
      t.row(ratios.toArray(String[]::new));
    }
    t.print(p);
    p.printf(Locale.ROOT, "cluster: %d nodes (%s holds the seeds; calls for remote forks and warm calls go to %s); cold on a"
            + " standalone cold-only server; %s%n", run.nodes().size(), run.nodes().get(0),
        String.join(", ", run.nodes().subList(1, run.nodes().size())), run.settings().forkAhead() == 0
            ? "every fork made when its call came (--fork-ahead 0)"
            : "--fork-ahead " + run.settings().forkAhead() + ": calls took children forked or restored ahead where parked (init 0)");
    p.printf(Locale.ROOT, "machine: %d cores, 1-minute load average %s at start, %s at end (other work shares it); %.0f s%n",
        Runtime.getRuntime().availableProcessors(), fixed(run.loadAtStart(), 1), fixed(run.loadAtEnd(), 1), run.seconds());
    p.println(run.costs().line());
    for (StartupBenchFunction f : StartupBenchFunction.values()) {
      p.printf(Locale.ROOT, "%s: remote forks/s from one seed (best of %d rounds, %d calls at once on each of %d nodes, each holding"
              + " its instance %d ms) %s, the nodes' CPU %s ms per remote fork in that round;"
              + " invoker init p50 local fork %s ms, remote fork %s ms; remote forks by seed node %s%n",
          f.label(), run.settings().rateRounds(), run.settings().rateBurst(), run.nodes().size() - 1, ClusterBench.RATE_HOLD_MS,
          fixed(calls.bestRate(f.label()), 0), fixed(bestRoundCpuPerFork(f.label()), 1), fixed(calls.initStats(f.label(), Kind.LOCAL_FORK).p50(), 0),
          fixed(calls.initStats(f.label(), Kind.REMOTE_FORK).p50(), 0), calls.seedNodes(f.label()));
    }
    p.printf(Locale.ROOT, "seeds per function (most at any sample of the nodes' cleave_seeds, summed): %s%n", seedsPerFunction);
    p.printf(Locale.ROOT, "pages_fetched_ratio (pages remote children fetched over the network / all they got): %s"
        + " (%.0f over the network, %.0f from the nodes' page caches)%n",
        remotePages.fetchedRatio() == null ? "-" : fixed(remotePages.fetchedRatio(), 3), remotePages.network(),
        remotePages.cache());
    for (Object o : targets()) {
      JsonObject tg = (JsonObject) o;
      p.printf(Locale.ROOT, "target %-40s measured %-10s %s%n", tg.getString("target"), fixed(tg.getDouble("measured"), 3),
          tg.getBoolean("met") ? "met" : "NOT met");
    }
    for (StartupBenchFunction f : StartupBenchFunction.values()) {
      calls.strays(f.label()).forEach((what, n) -> p.printf(Locale.ROOT, "note: %s: %d %s (not counted)%n", f.label(), n, what));
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------------------ numbers

  static Double ratio(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
      return null;
    }
    return Math.round(a / b * 1000.0) / 1000.0;
  }

  static Double round(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : Math.round(v * 1000.0) / 1000.0;
  }

  private static String fixed(Double v, int digits) {
    return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String text(String v) {
    return v == null ? "" : v.replace(',', ';');
  }
}
