package io.cleave.invoker;

import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** Bounded waits for tests: every wait ends, and a wait that gives up says what it waited for. */
public final class Waits {
  public static final long LIMIT_SECONDS = 30;

  private Waits() {}

  /** The future's result (its failure is thrown), waiting at most {@link #LIMIT_SECONDS}. */
  public static <T> T await(Future<T> future) {
    try {
      return future.await(LIMIT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      if (future.isComplete()) {
        throw new AssertionError("failed with a timeout of its own", e);
      }
      throw new AssertionError("no answer within " + LIMIT_SECONDS + " s", e);
    }
  }

  /** Polls the condition until it holds, at most {@link #LIMIT_SECONDS}. */
  public static void until(String what, BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIMIT_SECONDS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError(what + ": not within " + LIMIT_SECONDS + " s");
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting: " + what, e);
      }
    }
  }
}
