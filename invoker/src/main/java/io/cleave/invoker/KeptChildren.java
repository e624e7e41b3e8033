package io.cleave.invoker;

import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Children of one kept instance forked ahead for one consumer function: made the moment the
 * producer answered (and topped up as the consumer's calls take them), each already loading the
 * consumer's function while the engine stores the producer's result and starts the call, so the
 * call's fork, the child's start and its module's import are off the call's path. At most
 * {@code count} at a time (a map's parallelism), each counted in node memory from its fork to its
 * deletion. Touched on the invoker's loop only.
 */
final class KeptChildren {
  final App app;
  final Fn fn;
  final int count;
  /** Forked or forking, not yet taken by a call; a failed one has given its memory back. */
  final Deque<Future<StartedInstance>> ready = new ArrayDeque<>();

  KeptChildren(App app, Fn fn, int count) {
    this.app = app;
    this.fn = fn;
    this.count = Math.max(0, count);
  }
}
