package io.cleave.invoker;

import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The children of one kept instance that run one consumer function's calls. Forked ahead the
 * moment the producer answered, each already loading the consumer's function while the engine
 * stores the producer's result and starts the call, so the call's fork, the child's start and its
 * module's import are off the call's path; at most {@code count} of them (a map's parallelism), so
 * a map's calls fork that many children, not one per item. A child that answered a call is idle
 * and serves the consumer's next call, as a warm instance serves the next call of its function.
 * Each is counted in node memory from its fork to its deletion. Touched on the invoker's loop only.
 */
final class KeptChildren {
  final App app;
  final Fn fn;
  /** The children to fork ahead of the calls, and to keep alive at most while calls wait for them. */
  final int count;
  /** Forked or forking, not yet taken by a call; a failed one has given its memory back. */
  final Deque<Future<StartedInstance>> ready = new ArrayDeque<>();
  /** Children that answered a call and wait for the next one (taken before {@link #ready}). */
  final Deque<StartedInstance> idle = new ArrayDeque<>();
  /** Children running a call. */
  int busy;

  KeptChildren(App app, Fn fn, int count) {
    this.app = app;
    this.fn = fn;
    this.count = Math.max(0, count);
  }

  /** Children alive or forking. */
  int alive() {
    return ready.size() + idle.size() + busy;
  }
}
