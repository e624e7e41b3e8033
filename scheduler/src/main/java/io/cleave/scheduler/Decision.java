package io.cleave.scheduler;

/** What placement decided for a function's next waiting call on one node. */
public sealed interface Decision<I, S>
    permits Decision.UseWarm, Decision.UseStarted, Decision.Fork, Decision.RemoteFork, Decision.StartCold,
        Decision.AwaitSeed, Decision.Wait {

  /** Run the call on this ready instance, which has served before and has a free call slot. */
  record UseWarm<I, S>(I instance) implements Decision<I, S> {}

  /** Run the call on this single-use instance, which was started for a waiting call. */
  record UseStarted<I, S>(I instance) implements Decision<I, S> {}

  /** Start a child of this seed for the call. */
  record Fork<I, S>(S seed) implements Decision<I, S> {}

  /** Restore a child of the cluster's seed, held by another node, here (remote fork). */
  record RemoteFork<I, S>(SeedRecord seed) implements Decision<I, S> {}

  /**
   * Start a cold instance for the call. {@code makeSeed}: start the function's seed too, so later
   * calls can fork; {@code singleUse}: the instance serves one call and goes.
   */
  record StartCold<I, S>(boolean makeSeed, boolean singleUse) implements Decision<I, S> {}

  /**
   * Nothing to start yet: another node is starting the cluster's seed of this version, and a child
   * restored from it once it is ready comes sooner than a cold start begun now (which would start
   * the function a second time, at a cold start's memory). The waiting calls are placed again when
   * the seed's record changes, and start cold if it is not ready within the node's seed wait.
   */
  record AwaitSeed<I, S>(SeedRecord seed) implements Decision<I, S> {}

  /** Nothing to start: instances already being started will take the waiting calls. */
  record Wait<I, S>() implements Decision<I, S> {}
}
