package io.cleave.flows;

import io.cleave.flows.ForkedStepStarter.KeptInstance;

/**
 * How one call of a step receives its producers' state. The engine decides it per call from the
 * step's edges and {@link StepCaller} acts on it.
 */
sealed interface StatePassing {

  /** Every producer's result reaches the call serialised as JSON in its body (an edge's {@code pass: copy}). */
  record Copy() implements StatePassing {}

  /**
   * The call runs in a child forked from {@code from}, the kept instance that ran {@code producer}
   * (of the step's fork producers, the one with the most kept state); the other producers' results
   * are in the body by copy.
   */
  record Fork(String producer, KeptInstance from) implements StatePassing {}
}
