package io.cleave.scheduler;

/**
 * {@code fork} (one seed per function on each node): keep-alive's warm instances, but a new
 * instance is a fork of the function's seed when it has one ready, else a cold start, which also
 * makes the seed when the function has none.
 */
public final class ForkPlacement implements Placement {
  private final Placement keepAlive = new KeepAlivePlacement();

  @Override
  public <I, S> Decision<I, S> place(PoolView<I, S> pool) {
    Decision<I, S> warmOrWait = keepAlive.place(pool);
    if (!(warmOrWait instanceof Decision.StartCold)) {
      return warmOrWait;
    }
    S seed = pool.forkableSeed();
    if (seed != null) {
      return new Decision.Fork<>(seed);
    }
    return new Decision.StartCold<>(pool.seedWanted(), false);
  }
}
