package io.cleave.scheduler;

/**
 * {@code fork} (one seed per function on each node): a warm instance, else a fork of the
 * function's seed, else a cold start, which also makes the seed when the function has none.
 */
public final class ForkPlacement implements Placement {

  @Override
  public <I, S> Decision<I, S> place(PoolView<I, S> pool) {
    I warm = pool.warmInstance();
    if (warm != null) {
      return new Decision.UseWarm<>(warm);
    }
    if (pool.uncoveredCalls() <= 0) {
      return new Decision.Wait<>();
    }
    S seed = pool.forkableSeed();
    if (seed != null) {
      return new Decision.Fork<>(seed);
    }
    return new Decision.StartCold<>(pool.seedWanted(), false);
  }
}
