package io.cleave.invoker;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The children of one kept instance that run one consumer function's calls. Forked ahead the
 * moment the producer answered, each already loading the consumer's function while the engine
 * stores the producer's result and starts the call, so the call's fork, the child's start and its
 * module's import are off the call's path; at most {@code count} of them (a map's parallelism), so
 * a map's calls fork that many children, not one per item. A child that answered a call is idle
 * and serves the consumer's next call, as a warm instance serves the next call of its function. A
 * call takes whichever child is free first, forked or idle: while the children forked ahead are
 * still forking one after another, the first ones serve calls and take the next calls as they
 * end, instead of each call waiting for a fork of its own. Each child is counted in node memory
 * from its fork to its deletion ({@link Forking}). Touched on the invoker's loop only.
 */
final class KeptChildren {
  /** How the children are made and deleted; futures complete on the invoker's loop. */
  interface Forking {
    /**
     * Forks a child, its memory reserved first (given back if the fork fails). {@code ahead}: null
     * when the node has no memory free for it now; else a failed future when there is none.
     */
    Future<StartedInstance> fork(boolean ahead);

    /** Deletes a child and gives its memory back. */
    void delete(StartedInstance child);
  }

  /** A child, and whether it served a call before (its next call is warm, not a fork's first). */
  record Child(StartedInstance instance, boolean served) {}

  final App app;
  final Fn fn;
  /** The children to fork ahead of the calls, and to keep alive at most while calls wait for them. */
  final int count;
  /** The producers whose results its children hold copied in, beside the kept state. */
  final List<String> copied;
  private final Forking forking;
  private final Deque<Child> idle = new ArrayDeque<>();
  private final Deque<Promise<Child>> waiting = new ArrayDeque<>();
  private int forks;
  private int running;
  private boolean discarded;

  KeptChildren(App app, Fn fn, int count, List<String> copied, Forking forking) {
    this.app = app;
    this.fn = fn;
    this.count = Math.max(0, count);
    this.copied = List.copyOf(copied);
    this.forking = forking;
  }

  /**
   * A child for a call: the first free (idle, or forked since); a fork of its own only when no
   * fork under way is left for it. Then keeps {@code moreAfter} children ready or forking for the
   * calls still to come (never past {@code count} alive).
   */
  Future<Child> take(int moreAfter) {
    if (discarded) {
      return Future.failedFuture(new ApiError(409, "the kept instance of these children is gone"));
    }
    Promise<Child> mine = Promise.promise();
    waiting.add(mine);
    hand();
    if (waiting.size() > forks) {
      track(forking.fork(false), false);
    }
    forkAhead(moreAfter);
    return mine.future();
  }

  /** A call on {@code child} ended: it serves the next call when it answered, else it is deleted. */
  void returned(Child child, boolean answered) {
    running--;
    if (answered && !discarded) {
      idle.add(new Child(child.instance(), true));
      hand();
    } else {
      forking.delete(child.instance());
    }
  }

  /**
   * Forks children until {@code want} are idle or forking for calls not yet waiting, within {@code
   * count} alive; answers the forks it started.
   */
  List<Future<StartedInstance>> forkAhead(int want) {
    List<Future<StartedInstance>> started = new ArrayList<>();
    while (!discarded && idle.size() + forks - waiting.size() < want && idle.size() + forks + running < count) {
      Future<StartedInstance> child = forking.fork(true);
      if (child == null) {
        break; // no memory free now: a call forks its own when it comes
      }
      started.add(child);
      track(child, true);
    }
    return started;
  }

  /**
   * Deletes the idle children and fails the calls waiting (the kept instance is gone or the
   * consumer changed); a child forking or running is deleted once its fork or call ends.
   */
  void discard() {
    discarded = true;
    idle.forEach(c -> forking.delete(c.instance()));
    idle.clear();
    ApiError gone = new ApiError(409, "the kept instance of these children is gone");
    waiting.forEach(p -> p.tryFail(gone));
    waiting.clear();
  }

  /**
   * Counts a fork under way; once forked the child serves the first waiting call or idles. A fork
   * ahead that failed while calls wait for it is made again once, on demand; a fork on demand that
   * failed fails the latest waiting call that no fork under way is left for.
   */
  private void track(Future<StartedInstance> fork, boolean again) {
    forks++;
    fork.onComplete(ar -> {
      forks--;
      if (ar.succeeded()) {
        if (discarded) {
          forking.delete(ar.result());
        } else {
          idle.add(new Child(ar.result(), false));
          hand();
        }
      } else if (!discarded && waiting.size() > forks + idle.size()) {
        if (again) {
          track(forking.fork(false), false);
        } else {
          waiting.pollLast().tryFail(ar.cause());
        }
      }
    });
  }

  /** Gives the free children to the waiting calls, oldest first. */
  private void hand() {
    while (!idle.isEmpty() && !waiting.isEmpty()) {
      Child child = idle.poll();
      running++;
      waiting.poll().complete(child);
    }
  }
}
