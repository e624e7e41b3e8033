package io.cleave.scheduler;

/** One function's pool as a table row: instances and seeds are named by strings. */
record Situation(int waitingCalls, int startingSlots, String warmInstance, String startedInstance,
    String forkableSeed, boolean seedWanted, SeedRecord remoteSeed, SeedRecord seedStartingElsewhere)
    implements PoolView<String, String> {

  /** One call waits, nothing runs or starts, no seed exists and one may be started. */
  static Situation empty() {
    return new Situation(1, 0, null, null, null, true, null, null);
  }

  /** The cluster's seed is ready on another node (so none is wanted here). */
  Situation remote(SeedRecord seed) {
    return new Situation(waitingCalls, startingSlots, warmInstance, startedInstance, forkableSeed, false, seed, seedStartingElsewhere);
  }

  Situation waiting(int calls, int starting) {
    return new Situation(calls, starting, warmInstance, startedInstance, forkableSeed, seedWanted, remoteSeed, seedStartingElsewhere);
  }

  Situation warm(String instance) {
    return new Situation(waitingCalls, startingSlots, instance, startedInstance, forkableSeed, seedWanted, remoteSeed, seedStartingElsewhere);
  }

  Situation started(String instance) {
    return new Situation(waitingCalls, startingSlots, warmInstance, instance, forkableSeed, seedWanted, remoteSeed, seedStartingElsewhere);
  }

  /** A seed that can be forked now (so none is wanted). */
  Situation seed(String seed) {
    return new Situation(waitingCalls, startingSlots, warmInstance, startedInstance, seed, false, remoteSeed, seedStartingElsewhere);
  }

  /** Another node is starting the cluster's seed, and calls here may still wait for it (so none is wanted). */
  Situation startingElsewhere(SeedRecord seed) {
    return new Situation(waitingCalls, startingSlots, warmInstance, startedInstance, forkableSeed, false, remoteSeed, seed);
  }

  /** No forkable seed, and none may be started (one is starting, failed a while ago, or refuses to fork). */
  Situation noSeedPossible() {
    return new Situation(waitingCalls, startingSlots, warmInstance, startedInstance, null, false, remoteSeed, seedStartingElsewhere);
  }
}
