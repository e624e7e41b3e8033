package io.cleave.invoker;

import io.cleave.common.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The node's memory for instances and seeds, counted in their functions' MB against the capacity
 * (Fn's resource tracker), and the pools waiting for room: each waiting call has a bounded wait,
 * after which it is refused with 503. Touched only on the invoker's loop.
 */
final class NodeMemory {
  private final Vertx vertx;
  private final InvokerLoop loop;
  private final long capacityMb;
  private final Duration capacityWait;
  /** Schedules a pool again once memory was released. */
  private final Consumer<FunctionPool> wake;
  /** Refuses a call whose wait for memory ran out. */
  private final BiConsumer<Pending, ApiError> refuse;
  private final LinkedHashSet<FunctionPool> waiting = new LinkedHashSet<>();
  /** Written on the loop only; volatile so the cluster's load reports can read it from elsewhere. */
  private volatile long usedMb;
  private boolean wakeScheduled;

  NodeMemory(Vertx vertx, InvokerLoop loop, long capacityMb, Duration capacityWait, Consumer<FunctionPool> wake,
      BiConsumer<Pending, ApiError> refuse) {
    this.vertx = vertx;
    this.loop = loop;
    this.capacityMb = capacityMb;
    this.capacityWait = capacityWait;
    this.wake = wake;
    this.refuse = refuse;
  }

  long capacityMb() {
    return capacityMb;
  }

  long usedMb() {
    return usedMb;
  }

  /** MB that must be freed before {@code mb} fits; zero or less when it fits now. */
  long shortOf(int mb) {
    return usedMb + mb - capacityMb;
  }

  /** Counts {@code mb} as used if it fits. */
  boolean reserve(int mb) {
    if (shortOf(mb) > 0) {
      return false;
    }
    usedMb += mb;
    return true;
  }

  /** Counts {@code mb} as used, or fails with 503 naming {@code what} had no room. */
  Future<Void> reserved(int mb, String what) {
    if (!reserve(mb)) {
      return Future.failedFuture(new ApiError(503, "no memory on this node for " + what + " ("
          + mb + " MB; " + usedMb + " of " + capacityMb + " MB in use)", 1));
    }
    return Future.succeededFuture();
  }

  /** Memory is counted free as soon as the host is told to stop the instance: the kill is immediate. */
  void release(int mb) {
    usedMb -= mb;
    if (!waiting.isEmpty() && !wakeScheduled) {
      // Woken later, not inline: release is called from the middle of pool updates.
      wakeScheduled = true;
      loop.later(() -> {
        wakeScheduled = false;
        for (FunctionPool p : new ArrayList<>(waiting)) {
          waiting.remove(p);
          wake.accept(p);
        }
      });
    }
  }

  /** The pool's calls not covered by instances being started wait for room, each a bounded time. */
  void waitFor(FunctionPool pool) {
    cover(pool);
    waiting.add(pool);
    int covered = 0;
    for (Pending p : pool.queue) {
      if (covered++ < pool.startingSlots || p.capacityTimer >= 0) {
        continue;
      }
      p.capacityTimer = vertx.setTimer(Math.max(1, capacityWait.toMillis()), t -> {
        if (pool.queue.remove(p)) {
          int retry = (int) Math.max(1, capacityWait.toSeconds());
          refuse.accept(p, new ApiError(503, "no capacity on this node for function " + pool.fnId
              + " (" + pool.fn.memory() + " MB) within " + capacityWait.toMillis() + " ms", retry));
        }
      });
    }
  }

  /** The pool no longer waits for room; calls that instances being started will take stop waiting. */
  void stopWaiting(FunctionPool pool) {
    waiting.remove(pool);
    cover(pool);
  }

  /** The call got an instance or an answer: its wait for room ends. */
  void stopWaiting(Pending p) {
    vertx.cancelTimer(p.capacityTimer);
    p.capacityTimer = -1;
  }

  private void cover(FunctionPool pool) {
    int n = 0;
    for (Pending p : pool.queue) {
      if (n++ >= pool.startingSlots) {
        return;
      }
      if (p.capacityTimer >= 0) {
        stopWaiting(p);
      }
    }
  }
}
