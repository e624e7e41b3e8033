package io.cleave.scheduler;

/**
 * {@code keep-alive} (Fn/OpenWhisk caching): a warm instance, else a cold start; instances stay for
 * the function's idle timeout; no seeds.
 */
public final class KeepAlivePlacement implements Placement {

  @Override
  public <I, S> Decision<I, S> place(PoolView<I, S> pool) {
    I warm = pool.warmInstance();
    if (warm != null) {
      return new Decision.UseWarm<>(warm);
    }
    if (pool.uncoveredCalls() <= 0) {
      return new Decision.Wait<>();
    }
    return new Decision.StartCold<>(false, false);
  }
}
