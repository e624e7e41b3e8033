package io.cleave.invoker;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * The one Vert.x context all pool state lives on, so it needs no locks. Host, instance and disk
 * work completes elsewhere; {@link #here} brings each result back.
 */
final class InvokerLoop {
  private final Context context;

  InvokerLoop(Context context) {
    this.context = context;
  }

  /** The future, completed on the loop whatever thread completes the original. */
  <T> Future<T> here(Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> {
      if (Vertx.currentContext() == context) {
        p.handle(ar);
      } else {
        context.runOnContext(v -> p.handle(ar));
      }
    });
    return p.future();
  }

  /** Runs the action on the loop: at once when called there, else as soon as the loop gets to it. */
  void run(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      later(action);
    }
  }

  /** Runs the action on the loop later, never inline. */
  void later(Runnable action) {
    context.runOnContext(v -> action.run());
  }
}
