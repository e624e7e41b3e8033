package io.cleave.scheduler;

/**
 * How a node finds an instance for a function's next waiting call: one implementation per policy.
 * Placement only decides; the invoker counts memory (a start may still wait for room) and acts.
 * Implementations hold no state, so one serves every pool.
 */
public interface Placement {

  <I, S> Decision<I, S> place(PoolView<I, S> pool);
}
