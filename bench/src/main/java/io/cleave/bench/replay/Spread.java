package io.cleave.bench.replay;

import java.util.Locale;

/** How one trace minute's invocations are placed inside that minute. */
public enum Spread {
  /** Evenly spaced: n calls at (i + 1/2) / n of the minute. */
  UNIFORM,
  /** A Poisson process conditioned on the minute's count: n independent uniform times, sorted. */
  POISSON,
  /** The recorded start times (per-invocation traces only). */
  EXACT;

  public static Spread parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown spread '" + s + "' (uniform, poisson, exact)");
    }
  }
}
