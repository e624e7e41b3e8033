package io.cleave.bench.replay;

/**
 * How the load generator behaves.
 *
 * @param maxInFlight most calls outstanding at once; calls due beyond it are dropped (counted as errors)
 * @param callTimeoutMs client-side limit for one call
 * @param sampleMs period of {@code /metrics} sampling
 * @param tailMs how long {@code /metrics} is still sampled after the last answer, and after the
 *     last instance still starting is up (what the platform holds after a burst, e.g. kept-alive
 *     instances, is part of its memory cost)
 * @param maxTailMs the longest the tail may last while instances are still starting
 * @param progress whether to draw the progress bar on stderr
 */
public record LoadOptions(int maxInFlight, long callTimeoutMs, long sampleMs, long tailMs, long maxTailMs, boolean progress) {
  public LoadOptions {
    if (maxInFlight < 1 || callTimeoutMs < 1 || sampleMs < 10 || tailMs < 0 || maxTailMs < tailMs) {
      throw new IllegalArgumentException(
          "max in flight >= 1, call timeout >= 1 ms, sample period >= 10 ms, 0 <= tail <= longest tail");
    }
  }
}
