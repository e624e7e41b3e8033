package io.cleave.bench;

import io.vertx.core.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for a Vert.x future from a plain (non event-loop) thread, within a bound. */
final class Await {
  private Await() {}

  /** The future's result; its failure, or no result within {@code timeoutMs}, as an {@link IllegalStateException} naming {@code what}. */
  static <T> T result(Future<T> f, long timeoutMs, String what) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalStateException || cause instanceof IllegalArgumentException) {
        throw (RuntimeException) cause;
      }
      // forkd's ApiError and Vert.x's failures carry a message worth showing, not a stack trace
      throw new IllegalStateException(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
    } catch (TimeoutException e) {
      throw new IllegalStateException("no answer within " + timeoutMs + " ms while waiting for " + what);
    }
  }
}
