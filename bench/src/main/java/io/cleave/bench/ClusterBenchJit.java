package io.cleave.bench;

import io.cleave.client.PlatformClient;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The nodes' JIT warmed before anything is timed, as the start-up benchmark warms its server's:
 * warm calls on every node at once, in rounds of a second, until the servers' JIT compiler threads
 * used under a tenth of a round (summed over the nodes), after {@link #MIN_ROUNDS} rounds at least,
 * or until the cap passed (on a loaded machine they may never settle). Without it a fresh node
 * compiles its call path during the measured bursts, on the same two cores.
 */
final class ClusterBenchJit {
  static final double SETTLED_SHARE = 0.1;
  static final int MIN_ROUNDS = 3;
  private static final int CONNECTIONS_PER_NODE = 2;

  /** How the warm-up went: its calls, seconds, and the servers' JIT share in its last round. */
  record Warmup(long calls, double seconds, double lastJitShare) {}

  private ClusterBenchJit() {}

  /**
   * Warm calls to {@code fnId} on every node of {@code urls} until {@code cpu}'s servers' JIT
   * settled, at most {@code capSeconds}.
   */
  static Warmup warmUp(List<String> urls, String adminKey, String fnId, byte[] body, ClusterBenchCpu cpu, int capSeconds)
      throws IOException {
    List<KeepAliveLoad> loads = new ArrayList<>();
    for (String url : urls) {
      loads.add(new KeepAliveLoad(URI.create(url), "/invoke/" + PlatformClient.segment(fnId), adminKey, body));
    }
    long t0 = System.nanoTime();
    AtomicLong calls = new AtomicLong();
    double share = Double.NaN;
    for (int round = 1; System.nanoTime() - t0 < capSeconds * 1_000_000_000L; round++) {
      long jit0 = cpu.jitNanos();
      long r0 = System.nanoTime();
      List<Thread> threads = new ArrayList<>();
      List<IOException> failures = new ArrayList<>();
      for (KeepAliveLoad load : loads) {
        Thread t = new Thread(() -> {
          try {
            calls.addAndGet(load.run(CONNECTIONS_PER_NODE, 0, 0, 1.0, () -> { }).latenciesMs().size());
          } catch (IOException e) {
            synchronized (failures) {
              failures.add(e);
            }
          }
        }, "cluster-bench-jit");
        t.start();
        threads.add(t);
      }
      for (Thread t : threads) {
        try {
          t.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted during the JIT warm-up", e);
        }
      }
      if (!failures.isEmpty()) {
        throw failures.get(0);
      }
      share = (cpu.jitNanos() - jit0) / (double) (System.nanoTime() - r0);
      if (round >= Math.min(MIN_ROUNDS, capSeconds) && share < SETTLED_SHARE) {
        break;
      }
    }
    return new Warmup(calls.get(), (System.nanoTime() - t0) / 1e9, share);
  }
}
