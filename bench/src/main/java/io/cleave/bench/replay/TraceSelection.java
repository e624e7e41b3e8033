package io.cleave.bench.replay;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/** Ways to pick the functions of a trace that a replay drives. */
public final class TraceSelection {
  private TraceSelection() {}

  /** The {@code n} functions with the most invocations in minute indices [from, to). */
  public static List<TraceFunction> top(Trace trace, int n, int from, int to) {
    return trace.functions().stream()
        .sorted(Comparator.comparingLong((TraceFunction f) -> f.total(from, to)).reversed()
            .thenComparing(TraceFunction::function))
        .limit(n)
        .toList();
  }

  /** {@code n} functions chosen uniformly at random (reproducible from {@code seed}), in trace order. */
  public static List<TraceFunction> random(Trace trace, int n, long seed) {
    int size = trace.functions().size();
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = size - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int[] chosen = Arrays.copyOf(order, Math.min(n, size));
    Arrays.sort(chosen);
    List<TraceFunction> out = new ArrayList<>();
    for (int i : chosen) {
      out.add(trace.functions().get(i));
    }
    return out;
  }

  /** Functions whose hash starts with one of {@code prefixes}; each prefix must match exactly one. */
  public static List<TraceFunction> byId(Trace trace, List<String> prefixes) {
    List<TraceFunction> out = new ArrayList<>();
    for (String p : prefixes) {
      List<TraceFunction> hits = trace.functions().stream().filter(f -> f.function().startsWith(p)).toList();
      if (hits.size() != 1) {
        throw new IllegalArgumentException("function id prefix '" + p + "' matches " + hits.size() + " functions of the trace");
      }
      if (!out.contains(hits.get(0))) {
        out.add(hits.get(0));
      }
    }
    return out;
  }

  /**
   * A function's sharpest burst: the minute whose count most exceeds the median of the
   * {@code BASELINE_MINUTES} minutes before it.
   *
   * @param peakIndex index of the burst minute in the trace
   * @param ratio peak / (baseline median + 1)
   */
  public record Burst(TraceFunction function, int peakIndex, int peak, double baseline, double ratio) {}

  static final int BASELINE_MINUTES = 30;

  public static Burst burst(TraceFunction f) {
    int[] c = f.perMinute();
    Burst best = new Burst(f, 0, c.length == 0 ? 0 : c[0], 0, 0);
    for (int k = 1; k < c.length; k++) {
      int[] before = Arrays.copyOfRange(c, Math.max(0, k - BASELINE_MINUTES), k);
      Arrays.sort(before);
      double median = before.length % 2 == 1
          ? before[before.length / 2]
          : (before[before.length / 2 - 1] + before[before.length / 2]) / 2.0;
      double ratio = c[k] / (median + 1.0);
      if (ratio > best.ratio()) {
        best = new Burst(f, k, c[k], median, ratio);
      }
    }
    return best;
  }

  /** The burstiest function among those whose burst minute has at least {@code minPeak} calls. */
  public static Burst burstiest(Trace trace, int minPeak) {
    return trace.functions().stream()
        .map(TraceSelection::burst)
        .filter(b -> b.peak() >= minPeak)
        .max(Comparator.comparingDouble(Burst::ratio))
        .orElseThrow(() -> new IllegalArgumentException("no function of " + trace.source() + " peaks at " + minPeak + "+ calls a minute"));
  }
}
