package io.cleave.bench.replay;

/**
 * Individual invocations of one function, as the per-invocation (2021) trace records them.
 *
 * @param startSeconds start times in seconds from the trace's start, ascending
 * @param durationMs the matching execution times in milliseconds
 */
public record Invocations(double[] startSeconds, double[] durationMs) {
  public Invocations {
    if (startSeconds.length != durationMs.length) {
      throw new IllegalArgumentException("start times and durations differ in length");
    }
  }

  public int size() {
    return startSeconds.length;
  }
}
