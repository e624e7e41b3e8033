package io.cleave.invoker;

import io.cleave.common.model.Fn;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * Each producer function's spare kept instance (one per function): ready or starting, for the
 * function version and config it runs, taken by the function's next producer call and deleted
 * after the function's idle_timeout untaken. Its memory is reserved from the moment it is
 * offered. Touched on the invoker's loop only.
 */
final class KeptSpares {
  private static final Logger LOG = Logger.getLogger(KeptSpares.class.getName());

  private record Spare(Fn fn, Map<String, String> config, Future<StartedInstance> started, long timer) {}

  private final Vertx vertx;
  private final InvokerLoop loop;
  private final NodeMemory memory;
  /** Deletes an instance (its id) and gives its memory (MB) back. */
  private final BiConsumer<String, Integer> delete;
  private final Map<String, Spare> spares = new HashMap<>();

  KeptSpares(Vertx vertx, InvokerLoop loop, NodeMemory memory, BiConsumer<String, Integer> delete) {
    this.vertx = vertx;
    this.loop = loop;
    this.memory = memory;
    this.delete = delete;
  }

  boolean has(String fnId) {
    return spares.containsKey(fnId);
  }

  /**
   * The spare of this version of the function (ready or starting), taken; null when there is
   * none. A spare of an older version (the function or its config changed) is deleted.
   */
  Future<StartedInstance> take(Fn fn, Map<String, String> config) {
    Spare spare = spares.remove(fn.id());
    if (spare == null) {
      return null;
    }
    vertx.cancelTimer(spare.timer());
    if (!spare.fn().equals(fn) || !spare.config().equals(config)) {
      discard(spare);
      return null;
    }
    return spare.started();
  }

  /** Makes {@code started} (its memory reserved) the function's spare until its idle_timeout; one that fails to start gives its memory back. */
  void offer(Fn fn, Map<String, String> config, Future<StartedInstance> started) {
    long timer = vertx.setTimer(Math.max(1, fn.idleTimeout()) * 1000L, t -> loop.run(() -> {
      Spare idle = spares.get(fn.id());
      if (idle != null && idle.started() == started) {
        spares.remove(fn.id());
        discard(idle);
      }
    }));
    Spare spare = new Spare(fn, config, started, timer);
    spares.put(fn.id(), spare);
    started.onFailure(e -> {
      memory.release(fn.memory());
      if (spares.remove(fn.id(), spare)) {
        vertx.cancelTimer(timer);
      }
      LOG.warning("cannot start a spare kept instance of " + fn.name() + ": " + e.getMessage());
    });
  }

  /** Deletes every spare (the invoker is closing). */
  void close() {
    spares.values().forEach(spare -> {
      vertx.cancelTimer(spare.timer());
      discard(spare);
    });
    spares.clear();
  }

  /** Deletes a spare nobody took (once it has started; one that failed gave its memory back). */
  private void discard(Spare spare) {
    spare.started().onSuccess(s -> delete.accept(s.instanceId(), spare.fn().memory()));
  }
}
