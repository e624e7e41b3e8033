package io.cleave.scheduler;

/** {@code cold-only}: every call gets a fresh cold instance, stopped after the call; no seeds. */
public final class ColdOnlyPlacement implements Placement {

  @Override
  public <I, S> Decision<I, S> place(PoolView<I, S> pool) {
    I started = pool.startedInstance();
    if (started != null) {
      return new Decision.UseStarted<>(started);
    }
    if (pool.uncoveredCalls() <= 0) {
      return new Decision.Wait<>();
    }
    return new Decision.StartCold<>(false, true);
  }
}
