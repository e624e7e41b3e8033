package io.cleave.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CPU time of each cluster node's processes, for the CPU a remote fork costs: a node's server
 * (gateway, invoker, Hazelcast, its JIT) and every process below it as /proc shows them at a
 * reading (forkd, the page server, containers, restorers, instances). What ended between two
 * readings is not in the second, so a difference can only undercount.
 */
final class ClusterBenchCpu {
  private final List<Long> serverPids;

  /** {@code serverPids}: each node's server process, node 1 first; 0 or less where not known. */
  ClusterBenchCpu(List<Long> serverPids) {
    this.serverPids = List.copyOf(serverPids);
  }

  /** Whether every node's server is known, so readings mean something. */
  boolean known() {
    return !serverPids.isEmpty() && serverPids.stream().allMatch(p -> p > 0);
  }

  /** When a reading was taken, and each node's CPU time so far in ns, node 1 first (empty when not known). */
  record Reading(long nanos, List<Long> cpuNanos) {}

  /** Each node's CPU time so far (none when not {@link #known}). */
  Reading read() {
    return new Reading(System.nanoTime(), readNanos());
  }

  private List<Long> readNanos() {
    if (!known()) {
      return List.of();
    }
    List<Long> out = new ArrayList<>();
    for (long pid : serverPids) {
      long sum = StartupBenchProcs.cpuNanos(pid);
      for (long p : StartupBenchProcs.descendants(pid)) {
        sum += StartupBenchProcs.cpuNanos(p);
      }
      out.add(sum);
    }
    return out;
  }

  /** The CPU time each node used from {@code before} to {@code after}, in ms (empty when either is). */
  static List<Double> usedMs(Reading before, Reading after) {
    List<Long> b = before.cpuNanos();
    List<Long> a = after.cpuNanos();
    if (b.isEmpty() || b.size() != a.size()) {
      return List.of();
    }
    List<Double> out = new ArrayList<>();
    for (int k = 0; k < b.size(); k++) {
      out.add(Math.max(0, a.get(k) - b.get(k)) / 1e6);
    }
    return out;
  }

  /**
   * What each node would have used from {@code before} to {@code after} at the pace it used CPU
   * from {@code idleFrom} to {@code before} (its idle work: Hazelcast, gauges, the benchmark's own
   * scrapes), in ms (empty when any reading is).
   */
  static List<Double> idleMs(Reading idleFrom, Reading before, Reading after) {
    List<Double> idle = usedMs(idleFrom, before);
    double scale = (after.nanos() - before.nanos()) / (double) Math.max(1, before.nanos() - idleFrom.nanos());
    return usedMs(before, after).isEmpty() ? List.of() : idle.stream().map(v -> v * scale).toList();
  }

  /** The servers' JIT compiler threads' CPU time so far, in ns, summed over the nodes. */
  long jitNanos() {
    long sum = 0;
    for (long pid : serverPids) {
      if (pid > 0) {
        sum += StartupBenchProcs.cpuNanosByThread(pid).entrySet().stream()
            .filter(e -> e.getKey().contains("CompilerThre")).mapToLong(Map.Entry::getValue).sum();
      }
    }
    return sum;
  }
}
