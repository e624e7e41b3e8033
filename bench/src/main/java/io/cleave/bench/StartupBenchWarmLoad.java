package io.cleave.bench;

import io.cleave.bench.StartupBenchFigures.Metric;
import io.cleave.bench.replay.LatencyStats;
import io.cleave.bench.replay.PolicyServer;
import io.cleave.client.PlatformClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Warm throughput, wrk-style: {@code connections} keep-alive clients through the gateway, each
 * sending its next call as soon as its last one answered (a closed loop, {@link KeepAliveLoad}),
 * for a fixed time, to a function whose instances are warm. What it shows is the gateway + invoker's
 * cost per call under load, the function doing next to nothing.
 */
final class StartupBenchWarmLoad {
  /**
   * What one run did: calls answered within {@code seconds}, each call's latency in the figures, and
   * the CPU time per call (ms) of each process over the counted window ({@link #cpuPerCall}).
   */
  record Run(int connections, double seconds, long calls, Map<String, Double> cpuMsPerCall) {
    double perSecond() {
      return calls / seconds;
    }
  }

  private static final double TARGET_OVERHEAD_MS = 0.5;
  private static final double TARGET_RPS = 10_000;
  private static final double TARGET_P99_MS = 5.0;
  /** Thread groups of the server under this many ms per call are left out of the breakdown. */
  private static final double THREAD_FLOOR_MS = 0.002;

  /** JIT warm-up calls per warm call of the settings ({@code --warm-calls}), and at most. */
  private static final int JIT_WARMUP_PER_WARM_CALL = 200;
  private static final long JIT_WARMUP_MAX = 20_000;
  /** The JIT warm-up lasts at most a second per this many calls asked (20 s for 10,000). */
  private static final long JIT_CALLS_PER_CAP_SECOND = 500;
  private static final double JIT_ROUND_SECONDS = 1.0;
  /** The JIT is taken as settled once its threads use less than this share of a round's time. */
  private static final double JIT_SETTLED_SHARE = 0.1;

  private StartupBenchWarmLoad() {}

  /**
   * Calls a fresh keep-alive server answers before anything is measured on it: its JIT compiles the
   * call path (interpreted, a warm call costs the server ~10x the CPU it does compiled), so figures
   * are those of a gateway that has been running, as wrk's are after its warm-up. 200 per warm call
   * of the settings, at most 20,000 (10,000 with --quick), and more while the JIT still compiles.
   */
  static long jitWarmupCalls(int warmCalls) {
    return Math.min(JIT_WARMUP_MAX, (long) JIT_WARMUP_PER_WARM_CALL * warmCalls);
  }

  /**
   * Sends at least {@code calls} calls to function {@code fnId} of {@code server} over {@code
   * connections} keep-alive connections, nothing counted, in rounds of a second, until the server's
   * JIT compiler threads (C1, C2) used under a tenth of the last round, at most a second per 500
   * calls asked (on a loaded machine they may never settle). Answers the seconds it took.
   */
  static double warmUpJit(PolicyServer server, String fnId, Buffer body, int connections, long calls) throws IOException {
    KeepAliveLoad load = new KeepAliveLoad(server.url(), "/invoke/" + PlatformClient.segment(fnId), server.adminKey(),
        body.getBytes());
    long t0 = System.nanoTime();
    long answered = 0;
    long cap = Math.max(1, calls / JIT_CALLS_PER_CAP_SECOND) * 1_000_000_000L;
    while (System.nanoTime() - t0 < cap) {
      long jit0 = jitNanos(server.pid());
      long r0 = System.nanoTime();
      answered += load.run(connections, 0, 0, JIT_ROUND_SECONDS, () -> { }).latenciesMs().size();
      double share = (jitNanos(server.pid()) - jit0) / (double) (System.nanoTime() - r0);
      if (answered >= calls && share < JIT_SETTLED_SHARE) {
        break;
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** CPU time of the JIT compiler threads of process {@code pid}. */
  private static long jitNanos(long pid) {
    return StartupBenchProcs.cpuNanosByThread(pid).entrySet().stream()
        .filter(e -> e.getKey().contains("CompilerThre")).mapToLong(Map.Entry::getValue).sum();
  }

  /**
   * Runs the load on {@code server} (data directory {@code dataDir}) for {@code warmupSeconds}
   * uncounted (the function gets an instance per connection, the server's JIT compiles the call
   * path) then {@code seconds} counted, adding each counted call's latency to {@code into}.
   */
  static Run run(PolicyServer server, Path dataDir, String fnId, Buffer body, int connections, double warmupSeconds,
      double seconds, StartupBenchFigures into) throws IOException {
    KeepAliveLoad load = new KeepAliveLoad(server.url(), "/invoke/" + PlatformClient.segment(fnId), server.adminKey(),
        body.getBytes());
    long forkd = StartupBenchProcs.forkdPid(dataDir);
    Cpu[] before = new Cpu[1];
    KeepAliveLoad.Result result = load.run(connections, 0, warmupSeconds, seconds,
        () -> before[0] = Cpu.sample(server.pid(), forkd));
    Cpu after = Cpu.sample(server.pid(), forkd);
    result.latenciesMs().forEach(ms -> into.add(Metric.WARM_LOAD, ms));
    long calls = result.latenciesMs().size();
    return new Run(connections, result.seconds(), calls, before[0] == null ? Map.of() : cpuPerCall(before[0], after, calls));
  }

  /**
   * CPU time of the processes a warm call crosses, read from /proc at the counted window's start and
   * end: the server JVM (and its thread groups), forkd, the instances (every process under forkd)
   * and the load generator's thread.
   */
  private record Cpu(long server, Map<String, Long> serverThreads, long forkd, long instances, long load) {
    static Cpu sample(long serverPid, long forkdPid) {
      long instances = 0;
      if (forkdPid > 0) {
        for (long pid : StartupBenchProcs.descendants(forkdPid)) {
          instances += StartupBenchProcs.cpuNanos(pid);
        }
      }
      return new Cpu(StartupBenchProcs.cpuNanos(serverPid), StartupBenchProcs.cpuNanosByThread(serverPid),
          forkdPid > 0 ? StartupBenchProcs.cpuNanos(forkdPid) : 0, instances,
          ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
    }
  }

  /**
   * ms of CPU per call: {@code server} with its thread groups as {@code server:<group>}, {@code forkd},
   * {@code instances}, {@code load generator}, and {@code total} of the four.
   */
  private static Map<String, Double> cpuPerCall(Cpu a, Cpu b, long calls) {
    Map<String, Double> out = new LinkedHashMap<>();
    if (calls == 0) {
      return out;
    }
    double server = perCall(b.server() - a.server(), calls);
    out.put("server", server);
    b.serverThreads().forEach((group, nanos) -> {
      double ms = perCall(nanos - a.serverThreads().getOrDefault(group, 0L), calls);
      if (ms >= THREAD_FLOOR_MS) {
        out.put("server:" + group, ms);
      }
    });
    double forkd = perCall(b.forkd() - a.forkd(), calls);
    double instances = perCall(b.instances() - a.instances(), calls);
    double load = perCall(b.load() - a.load(), calls);
    out.put("forkd", forkd);
    out.put("instances", instances);
    out.put("load generator", load);
    out.put("total", server + forkd + instances + load);
    return out;
  }

  private static double perCall(long nanos, long calls) {
    return StartupBenchReport.round(nanos / 1e6 / calls);
  }

  /**
   * The summary's warm-throughput figures: {@code warm_rps}, {@code warm_p50_ms}, {@code warm_p99_ms}
   * and {@code warm_overhead_p50_ms} (the load's p50 minus the p50 of the same call sent straight to
   * an instance, one at a time).
   */
  static void summarise(StartupBenchFigures f, JsonObject into) {
    Run run = f.warmLoad();
    LatencyStats st = f.stats(Metric.WARM_LOAD);
    into.put("warm_connections", run == null ? null : run.connections());
    into.put("warm_rps", run == null ? null : StartupBenchReport.round(run.perSecond()));
    into.put("warm_p50_ms", StartupBenchReport.round(st.p50()));
    into.put("warm_p99_ms", StartupBenchReport.round(st.p99()));
    into.put("warm_overhead_p50_ms", StartupBenchReport.round(st.p50() - f.stats(Metric.DIRECT_WARM).p50()));
    JsonObject cpu = new JsonObject();
    if (run != null) {
      run.cpuMsPerCall().forEach(cpu::put);
    }
    into.put("warm_cpu_ms_per_call", cpu);
  }

  /** The CPU line of the text report: ms per warm call of each process. */
  static String cpuLine(JsonObject summary) {
    JsonObject cpu = summary.getJsonObject("warm_cpu_ms_per_call");
    StringBuilder sb = new StringBuilder("warm throughput CPU per call (ms):");
    if (cpu == null || cpu.isEmpty()) {
      return sb.append(" not measured").toString();
    }
    cpu.forEach(e -> sb.append(' ').append(e.getKey()).append(' ')
        .append(String.format(Locale.ROOT, "%.3f", ((Number) e.getValue()).doubleValue())).append(','));
    sb.setLength(sb.length() - 1);
    return sb.toString();
  }

  /**
   * The warm targets: gateway + invoker overhead p50 <= 0.5 ms ({@code overheadP50}, one call
   * at a time), >= 10,000 calls/s with p99 <= 5 ms in the throughput run.
   */
  static JsonArray targets(StartupBenchFigures hello, double overheadP50) {
    Run run = hello.warmLoad();
    double rps = run == null ? Double.NaN : run.perSecond();
    double p99 = hello.stats(Metric.WARM_LOAD).p99();
    return new JsonArray()
        .add(target("warm invoke overhead through the gateway p50 <= 0.5 ms", overheadP50, overheadP50 <= TARGET_OVERHEAD_MS))
        .add(target("warm calls/s through the gateway >= 10000", rps, rps >= TARGET_RPS))
        .add(target("warm throughput p99 <= 5 ms", p99, p99 <= TARGET_P99_MS));
  }

  private static JsonObject target(String what, double value, boolean met) {
    return new JsonObject().put("target", what).put("measured", StartupBenchReport.round(value))
        .put("met", met && !Double.isNaN(value));
  }
}
