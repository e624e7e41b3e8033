package io.cleave.server;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waiting in tests: poll a condition until it holds or a bound passes, then fail saying what was
 * awaited. A test waits for something to be true, never for a length of time.
 */
final class Poll {
  private static final long INTERVAL_MS = 50;

  private Poll() {}

  /** Polls {@code condition} until it is true; fails after {@code limit}. */
  static void until(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    until(what, limit, condition::getAsBoolean, ok -> ok);
  }

  /**
   * Polls {@code probe} until its value satisfies {@code ok} and returns that value; fails after
   * {@code limit}, showing the last value seen.
   */
  static <T> T until(String what, Duration limit, Supplier<T> probe, Predicate<T> ok) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    T last = probe.get();
    while (!ok.test(last)) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within " + limit.toSeconds() + " s: " + what + " (last seen: " + last + ")");
      }
      Thread.sleep(INTERVAL_MS);
      last = probe.get();
    }
    return last;
  }
}
