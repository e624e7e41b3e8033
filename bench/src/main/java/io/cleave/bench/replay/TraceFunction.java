package io.cleave.bench.replay;

/**
 * One function of a trace.
 *
 * @param owner hashed owner (empty when the format has none)
 * @param app hashed application
 * @param function hashed function name; unique within a trace
 * @param trigger trigger kind (http, queue, event, ...; "unknown" when the format has none)
 * @param perMinute invocations per trace minute, index 0 = the trace's first minute
 * @param durationMs execution time distribution in milliseconds
 * @param memoryMb allocated memory distribution in MB ({@link Percentiles#NONE} when unknown)
 * @param invocations individual invocations, or null when the trace only has per-minute counts
 */
public record TraceFunction(
    String owner,
    String app,
    String function,
    String trigger,
    int[] perMinute,
    Percentiles durationMs,
    Percentiles memoryMb,
    Invocations invocations) {

  /** A short, readable name: the first 8 characters of the function hash. */
  public String shortId() {
    return function.length() <= 8 ? function : function.substring(0, 8);
  }

  /** Invocations in minutes [from, to) of the trace (indices, not labels). */
  public long total(int from, int to) {
    long sum = 0;
    for (int m = Math.max(0, from); m < Math.min(to, perMinute.length); m++) {
      sum += perMinute[m];
    }
    return sum;
  }

  public long total() {
    return total(0, perMinute.length);
  }
}
