package io.cleave.bench.replay;

import java.util.Arrays;

/**
 * A distribution known only by a few percentiles (the Azure trace publishes 0/1/25/50/75/99/100 for
 * durations, 1/5/25/50/75/95/99/100 for memory). Sampling interpolates linearly between the known
 * points, which is what replay tools built on this trace usually do.
 *
 * @param points percentile ranks in [0, 100], strictly increasing
 * @param values the value at each rank, non-decreasing
 */
public record Percentiles(double[] points, double[] values) {

  public static final Percentiles NONE = new Percentiles(new double[0], new double[0]);

  public Percentiles {
    if (points.length != values.length) {
      throw new IllegalArgumentException("percentile points and values differ in length");
    }
    for (int i = 0; i < points.length; i++) {
      if (points[i] < 0 || points[i] > 100 || (i > 0 && points[i] <= points[i - 1])) {
        throw new IllegalArgumentException("percentile ranks must increase within [0, 100]: " + Arrays.toString(points));
      }
    }
    points = points.clone();
    values = values.clone();
    // Published percentiles of averages are occasionally non-monotone by rounding; keep sampling sane.
    for (int i = 1; i < values.length; i++) {
      values[i] = Math.max(values[i], values[i - 1]);
    }
  }

  /** Percentiles of an observed sample (used for per-invocation traces). */
  public static Percentiles of(double[] sample, double... ranks) {
    if (sample.length == 0) {
      return NONE;
    }
    double[] sorted = sample.clone();
    Arrays.sort(sorted);
    double[] values = new double[ranks.length];
    for (int i = 0; i < ranks.length; i++) {
      double pos = ranks[i] / 100.0 * (sorted.length - 1);
      int lo = (int) Math.floor(pos);
      int hi = Math.min(lo + 1, sorted.length - 1);
      values[i] = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
    return new Percentiles(ranks, values);
  }

  public boolean isEmpty() {
    return points.length == 0;
  }

  /** The value at rank {@code p} (0..100), clamped to the known range. */
  public double at(double p) {
    if (isEmpty()) {
      throw new IllegalStateException("no percentiles known");
    }
    if (p <= points[0]) {
      return values[0];
    }
    for (int i = 1; i < points.length; i++) {
      if (p <= points[i]) {
        double f = (p - points[i - 1]) / (points[i] - points[i - 1]);
        return values[i - 1] + f * (values[i] - values[i - 1]);
      }
    }
    return values[values.length - 1];
  }

  /** A draw for a uniform {@code u} in [0, 1). */
  public double sample(double u) {
    return at(u * 100.0);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Percentiles p && Arrays.equals(points, p.points) && Arrays.equals(values, p.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(points) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < points.length; i++) {
      b.append(i == 0 ? "" : ", ").append("p").append((int) points[i]).append('=').append(values[i]);
    }
    return b.append('}').toString();
  }
}
