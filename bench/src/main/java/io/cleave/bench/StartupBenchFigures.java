package io.cleave.bench;

import io.cleave.bench.replay.LatencyStats;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything the startup benchmark measured for one function. Thread-safe: samples may come from event loops. */
final class StartupBenchFigures {

  /** A measured quantity; each sample is one call or one start, in milliseconds. */
  enum Metric {
    INVOKE_COLD("invoke_cold", "end-to-end latency through the gateway, cold-only policy (every call a cold start)"),
    INVOKE_WARM("invoke_warm", "end-to-end latency through the gateway, keep-alive policy, one warm instance"),
    INVOKE_FORK("invoke_fork", "end-to-end latency through the gateway, fork policy, calls served by a fresh fork of the seed"),
    DIRECT_WARM("direct_warm", "the same call sent straight to the warm instance's unix socket (no gateway, no invoker)"),
    INIT_COLD("init_cold", "activation init_ms of the cold calls (the invoker's instance start, whole ms)"),
    INIT_FORK("init_fork", "activation init_ms of the fork calls (the invoker's instance start, whole ms)"),
    FORKD_COLD("forkd_cold", "forkd start_ms, mode cold (request received to listener socket present)"),
    FORKD_SEED("forkd_seed", "forkd start_ms, mode seed (request received to control socket present)"),
    FORKD_FORK("forkd_fork", "forkd start_ms, mode fork (request received to the child's listener socket present)"),
    FORKD_COLD_RPC("forkd_cold_rpc", "ForkdClient round trip of a mode cold start over forkd's order channel (client side)"),
    FORKD_FORK_RPC("forkd_fork_rpc", "ForkdClient round trip of a mode fork start over forkd's order channel (client side)"),
    SEED_ORDER("seed_order", "fork order on the seed's control socket to the seed's answer (its os.fork), no forkd"),
    SEED_READY("seed_ready", "fork order on the seed's control socket to the child's listener socket present, no forkd"),
    FIRST_CALL_COLD("first_call_cold", "first call sent straight to a just-started cold instance"),
    FIRST_CALL_FORK("first_call_fork", "first call sent straight to a just-forked child"),
    WARM_LOAD("warm_load", "end-to-end latency through the gateway in the warm-throughput run (keep-alive policy, "
        + "N keep-alive connections, each sending its next call when the last answered)");

    private final String id;
    private final String meaning;

    Metric(String id, String meaning) {
      this.id = id;
      this.meaning = meaning;
    }

    String id() {
      return id;
    }

    String meaning() {
      return meaning;
    }
  }

  /** PSS and cgroup usage of one instance while {@code alive} instances of its kind run side by side. */
  record Memory(String kind, int alive, long pssBytes, long cgroupBytes) {}

  /**
   * Forks made from one seed with {@code concurrency} fork orders outstanding, and the CPU time
   * each fork cost (ms, by process: forkd, the seed, the child until deleted, this client).
   */
  record Rate(int concurrency, int forks, double seconds, List<Double> startMs, Map<String, Double> cpuMsPerFork) {
    double perSecond() {
      return forks / seconds;
    }
  }

  static final String COLD_INSTANCE = "cold instance";
  static final String FORK_CHILD = "fork child";
  static final String SEED = "seed";

  private final StartupBenchFunction function;
  private final Map<Metric, List<Double>> samples = new EnumMap<>(Metric.class);
  private final List<Memory> memory = new ArrayList<>();
  private final List<Rate> rates = new ArrayList<>();
  /** Calls of a phase that were served in another start mode than the phase asked for, by mode. */
  private final Map<String, Integer> strayModes = new LinkedHashMap<>();
  private StartupBenchWarmLoad.Run warmLoad;

  StartupBenchFigures(StartupBenchFunction function) {
    this.function = function;
    for (Metric m : Metric.values()) {
      samples.put(m, new ArrayList<>());
    }
  }

  StartupBenchFunction function() {
    return function;
  }

  synchronized void add(Metric metric, double ms) {
    samples.get(metric).add(ms);
  }

  synchronized List<Double> samples(Metric metric) {
    return List.copyOf(samples.get(metric));
  }

  synchronized LatencyStats stats(Metric metric) {
    return LatencyStats.of(samples.get(metric).stream().mapToDouble(Double::doubleValue).toArray());
  }

  synchronized void memory(Memory m) {
    memory.add(m);
  }

  synchronized List<Memory> memory() {
    return List.copyOf(memory);
  }

  synchronized void rate(Rate r) {
    rates.add(r);
  }

  synchronized List<Rate> rates() {
    return List.copyOf(rates);
  }

  synchronized void stray(String phase, String mode) {
    strayModes.merge(phase + " call served " + (mode == null ? "without a start mode" : mode), 1, Integer::sum);
  }

  synchronized Map<String, Integer> strayModes() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(strayModes));
  }

  synchronized void warmLoad(StartupBenchWarmLoad.Run run) {
    warmLoad = run;
  }

  /** The warm-throughput run, null when none was made for this function. */
  synchronized StartupBenchWarmLoad.Run warmLoad() {
    return warmLoad;
  }

  /** Mean PSS (bytes) of the instances of a kind, NaN when none was measured. */
  synchronized double meanPss(String kind) {
    return memory.stream().filter(m -> m.kind().equals(kind)).mapToLong(Memory::pssBytes).average().orElse(Double.NaN);
  }

  synchronized double meanCgroup(String kind) {
    return memory.stream().filter(m -> m.kind().equals(kind)).mapToLong(Memory::cgroupBytes).average().orElse(Double.NaN);
  }

  /**
   * CPU per fork summed over the processes (forkd, seed, child, the client) when forks were ordered
   * one at a time; a process's threads ("forkd:C1 ...") are inside its figure. NaN when not measured.
   */
  synchronized double cpuMsPerForkOneAtATime() {
    return rates.isEmpty() ? Double.NaN : rates.get(0).cpuMsPerFork().entrySet().stream()
        .filter(e -> !e.getKey().contains(":")).mapToDouble(Map.Entry::getValue).sum();
  }

  /** The best instances-per-second over all concurrency levels, NaN when none was measured. */
  synchronized double bestRate() {
    return rates.stream().mapToDouble(Rate::perSecond).max().orElse(Double.NaN);
  }
}
