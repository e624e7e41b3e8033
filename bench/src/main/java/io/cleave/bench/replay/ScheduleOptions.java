package io.cleave.bench.replay;

/**
 * How a trace window becomes a schedule of calls.
 *
 * @param fromMinute label of the first trace minute replayed
 * @param minutes number of trace minutes replayed
 * @param secondsPerMinute wall-clock seconds one trace minute takes (60 = real time; 1 = 60x faster)
 * @param rateScale factor applied to every minute's count (stochastic rounding keeps the expectation)
 * @param spread placement of calls inside a minute
 * @param seed makes the schedule reproducible
 * @param durationScale factor applied to drawn execution times
 * @param maxDurationMs cap on a call's execution time
 * @param defaultDurationMs execution time for functions the trace gives no durations for
 * @param defaultMemoryMb memory for functions the trace gives no memory for
 */
public record ScheduleOptions(
    int fromMinute,
    int minutes,
    double secondsPerMinute,
    double rateScale,
    Spread spread,
    long seed,
    double durationScale,
    long maxDurationMs,
    long defaultDurationMs,
    int defaultMemoryMb) {

  public ScheduleOptions {
    if (minutes <= 0) {
      throw new IllegalArgumentException("the window needs at least one minute");
    }
    if (!(secondsPerMinute > 0) || Double.isInfinite(secondsPerMinute)) {
      throw new IllegalArgumentException("seconds per trace minute must be positive");
    }
    if (!(rateScale > 0) || Double.isInfinite(rateScale)) {
      throw new IllegalArgumentException("rate scale must be positive");
    }
    if (!(durationScale >= 0) || Double.isInfinite(durationScale)) {
      throw new IllegalArgumentException("duration scale must be non-negative");
    }
    if (maxDurationMs < 0 || defaultDurationMs < 0 || defaultMemoryMb < 0) {
      throw new IllegalArgumentException("durations and memory must be non-negative");
    }
  }
}
