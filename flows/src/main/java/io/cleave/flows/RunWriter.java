package io.cleave.flows;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Stores the runs' records in the order they are asked for: one worker drains what is waiting into
 * a single synced write (group commit: a map's calls ending together cost one sync), and a write's
 * future completes only once it and every write asked for before it are on disk. So the engine may
 * go on from a transition before it is stored, as long as what it acknowledges (a call started,
 * a run ended) is a later write it waits for.
 */
final class RunWriter {
  private record Pending(RunStore.Entry entry, Promise<Void> stored) {}

  private final Vertx vertx;
  private final RunStore store;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private boolean draining;

  RunWriter(Vertx vertx, RunStore store) {
    this.vertx = vertx;
    this.store = store;
  }

  /** Completes (on a worker thread) once {@code entry} and the writes asked for before it are stored. */
  Future<Void> write(RunStore.Entry entry) {
    Promise<Void> stored = Promise.promise();
    boolean start;
    synchronized (waiting) {
      waiting.add(new Pending(entry, stored));
      start = !draining;
      draining = true;
    }
    if (start) {
      vertx.executeBlocking(() -> {
        drain();
        return null;
      }, false);
    }
    return stored.future();
  }

  private void drain() {
    while (true) {
      List<Pending> batch;
      synchronized (waiting) {
        if (waiting.isEmpty()) {
          draining = false;
          return;
        }
        batch = new ArrayList<>(waiting);
        waiting.clear();
      }
      RuntimeException failure = null;
      try {
        store.write(batch.stream().map(Pending::entry).toList());
      } catch (RuntimeException e) {
        failure = e;
      }
      for (Pending p : batch) {
        if (failure == null) {
          p.stored().complete();
        } else {
          p.stored().fail(failure);
        }
      }
    }
  }
}
