package io.cleave.flows;

import io.cleave.registry.FnTarget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * What active runs share: the engine's one context (every run's state is touched there only),
 * the ordered writer of the store, the step caller, the fork port and the function lookup by app and name.
 */
record RunServices(Vertx vertx, Context context, RunWriter writer, StepCaller caller, ForkedStepStarter forks,
    BiFunction<String, String, Optional<FnTarget>> fns) {

  /** {@code f}'s outcome, delivered on the engine's context. */
  <T> Future<T> here(Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> context.runOnContext(v -> p.handle(ar)));
    return p.future();
  }

  /**
   * Stores {@code entry} after every write asked for before it (writes waiting together share one
   * sync), answered here.
   */
  Future<Void> write(RunStore.Entry entry) {
    return here(writer.write(entry));
  }
}
