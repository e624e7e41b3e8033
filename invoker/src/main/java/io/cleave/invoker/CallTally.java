package io.cleave.invoker;

import io.cleave.common.invoke.FnActivity;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Calls ended on this node, per function: counts by outcome since start and the durations of the
 * latest calls, for {@link FnActivity}. Bounded: the least recently called functions are
 * forgotten past {@link #MAX_FUNCTIONS}, and each keeps its last {@link #RECENT} durations (8 KiB a
 * function, 8 MiB at most).
 * Touched only on the invoker's loop.
 */
final class CallTally {
  static final int MAX_FUNCTIONS = 1024;
  static final int RECENT = 512;
  private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(FnActivity.WINDOW_SECONDS);

  /** One function's counts and a ring of its latest calls' end times and durations. */
  private static final class Counts {
    final Map<String, Long> byOutcome = new TreeMap<>();
    final long[] endedNanos = new long[RECENT];
    final long[] durationMs = new long[RECENT];
    int next;
    int filled;
  }

  private final Map<String, Counts> byFn = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Counts> eldest) {
      return size() > MAX_FUNCTIONS;
    }
  };

  /** A call of {@code fnId} ended now with {@code outcome} (a start mode's wire name, error or rejected). */
  void ended(String fnId, String outcome, long durationNanos) {
    Counts c = byFn.computeIfAbsent(fnId, id -> new Counts());
    c.byOutcome.merge(outcome, 1L, Long::sum);
    c.endedNanos[c.next] = System.nanoTime();
    c.durationMs[c.next] = TimeUnit.NANOSECONDS.toMillis(durationNanos);
    c.next = (c.next + 1) % RECENT;
    c.filled = Math.min(RECENT, c.filled + 1);
  }

  /** The function's counts by outcome (a copy). */
  Map<String, Long> calls(String fnId) {
    Counts c = byFn.get(fnId);
    return c == null ? Map.of() : new TreeMap<>(c.byOutcome);
  }

  /** Percentiles of the durations of its calls that ended in the last window. */
  FnActivity.Latency latency(String fnId) {
    Counts c = byFn.get(fnId);
    if (c == null) {
      return new FnActivity.Latency(0, 0, 0, 0, 0);
    }
    long since = System.nanoTime() - WINDOW_NANOS;
    long[] recent = new long[c.filled];
    int n = 0;
    for (int i = 0; i < c.filled; i++) {
      if (c.endedNanos[i] - since > 0) {
        recent[n++] = c.durationMs[i];
      }
    }
    if (n == 0) {
      return new FnActivity.Latency(0, 0, 0, 0, 0);
    }
    long[] sorted = Arrays.copyOf(recent, n);
    Arrays.sort(sorted);
    return new FnActivity.Latency(n, percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99),
        sorted[n - 1]);
  }

  /** The nearest-rank percentile of sorted values. */
  private static long percentile(long[] sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }
}
