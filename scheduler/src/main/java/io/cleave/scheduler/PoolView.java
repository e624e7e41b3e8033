package io.cleave.scheduler;

/**
 * What placement reads of one function's pool on one node, read-only. The invoker implements it
 * over its own instances ({@code I}) and seeds ({@code S}); placement never looks inside them, it
 * only hands one back in its {@link Decision}.
 */
public interface PoolView<I, S> {

  /** Calls waiting for an instance. */
  int waitingCalls();

  /** Call slots of instances being started: that many waiting calls are already provided for. */
  int startingSlots();

  /** The most recently used ready instance with a free call slot, or null. */
  I warmInstance();

  /** A ready single-use instance, started for a waiting call, that has not served yet; or null. */
  I startedInstance();

  /** The function's seed when a child can be forked from it now, or null. */
  S forkableSeed();

  /** True when the function has no seed and nothing stands in the way of starting one. */
  boolean seedWanted();

  /** The cluster's ready seed of this version on another node that this node can restore children of, or null. */
  default SeedRecord remoteSeed() {
    return null;
  }

  /**
   * The cluster's seed of this version while another node starts it and calls here may still wait
   * for it (the node's seed wait has not run out since this record was first seen), else null.
   */
  default SeedRecord seedStartingElsewhere() {
    return null;
  }

  /** Waiting calls that no instance being started will take. */
  default int uncoveredCalls() {
    return waitingCalls() - startingSlots();
  }
}
