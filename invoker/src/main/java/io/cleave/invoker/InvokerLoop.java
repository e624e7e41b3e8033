package io.cleave.invoker;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

/**
 * The one Vert.x context all pool state lives on, so it needs no locks. Host, instance and disk
 * work completes elsewhere; {@link #here} brings each result back. Code running on a duplicate of
 * the context (Vert.x gives each HTTP request one) is on the loop too: same thread, same state.
 */
final class InvokerLoop {
  private final Context context;

  InvokerLoop(Context context) {
    this.context = context;
  }

  Context context() {
    return context;
  }

  /** The future, completed on the loop whatever thread completes the original. */
  <T> Future<T> here(Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> {
      if (onLoop()) {
        p.handle(ar);
      } else {
        context.runOnContext(v -> p.handle(ar));
      }
    });
    return p.future();
  }

  /** Runs the action on the loop: at once when called there, else as soon as the loop gets to it. */
  void run(Runnable action) {
    if (onLoop()) {
      action.run();
    } else {
      later(action);
    }
  }

  /** Runs the action on the loop later, never inline. */
  void later(Runnable action) {
    context.runOnContext(v -> action.run());
  }

  private boolean onLoop() {
    Context current = Vertx.currentContext();
    return current == context || current instanceof ContextInternal c && c.unwrap() == context;
  }
}
