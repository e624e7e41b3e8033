package io.cleave.flows;

import io.cleave.flows.ForkedStepStarter.CopiedResults;
import io.cleave.flows.ForkedStepStarter.KeptInstance;
import java.util.HashSet;
import java.util.Set;

/**
 * How one call of a step receives its producers' state. The engine decides it per call from the
 * step's edges and {@link StepCaller} acts on it.
 */
sealed interface StatePassing {

  /** Every producer's result reaches the call serialised as JSON in its body (an edge's {@code pass: copy}). */
  record Copy() implements StatePassing {}

  /**
   * The call runs in a child forked from {@code from}, the kept instance that ran {@code producer}
   * (of the step's fork producers, the one with the most kept state). The results of the step's
   * other fork producers ({@code copied}, null when it has none) are copied once into that
   * instance for the step's children; its copy producers' results are in the body.
   */
  record Fork(String producer, KeptInstance from, CopiedResults copied) implements StatePassing {

    /** The fork producers whose results the call does not carry: it reads them in memory. */
    Set<String> readInMemory() {
      Set<String> steps = new HashSet<>();
      steps.add(producer);
      if (copied != null) {
        steps.addAll(copied.steps());
      }
      return steps;
    }
  }
}
