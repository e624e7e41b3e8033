package io.cleave.server;

/** One app's running calls and its token bucket of calls per minute on this node. Thread-safe. */
final class AppThrottle {
  private static final long MINUTE_NANOS = 60_000_000_000L;

  private int running;
  /** Tokens in millionths, so a refill of a fraction of a call is kept. */
  private long microTokens;
  private long refilledAt;
  /** The calls per minute the bucket holds; 0 before the first call. */
  private int bucketSize;

  /** Takes a running slot unless {@code max} are taken. */
  synchronized boolean enter(int max) {
    if (running >= max) {
      return false;
    }
    running++;
    return true;
  }

  synchronized void leave() {
    running--;
  }

  /**
   * Takes one call from a bucket of {@code perMinute} refilled at {@code perMinute} a minute;
   * answers 0 when taken, else the milliseconds until one is there.
   */
  synchronized long take(int perMinute, long nowNanos) {
    long full = perMinute * 1_000_000L;
    if (perMinute != bucketSize) { // first call, or the app's limit changed: a full bucket of the new size
      bucketSize = perMinute;
      microTokens = full;
    } else {
      long refill = (long) ((double) (nowNanos - refilledAt) * full / MINUTE_NANOS);
      microTokens = Math.min(full, microTokens + refill);
    }
    refilledAt = nowNanos;
    if (microTokens >= 1_000_000L) {
      microTokens -= 1_000_000L;
      return 0;
    }
    double nanosPerMicroToken = (double) MINUTE_NANOS / full;
    return (long) Math.ceil((1_000_000L - microTokens) * nanosPerMicroToken / 1_000_000);
  }
}
