package io.cleave.scheduler;

/**
 * {@code remote-fork} (one seed per function version in the whole cluster): a warm instance here,
 * else a fork of the seed when this node holds it, else a child restored here from the seed on
 * another node, else, while another node is starting that seed, a wait for it (bounded), else a
 * cold start, which also claims the cluster's seed when there is none.
 */
public final class RemoteForkPlacement implements Placement {
  private final Placement fork = new ForkPlacement();

  @Override
  public <I, S> Decision<I, S> place(PoolView<I, S> pool) {
    Decision<I, S> local = fork.place(pool);
    if (!(local instanceof Decision.StartCold)) {
      return local;
    }
    SeedRecord remote = pool.remoteSeed();
    if (remote != null) {
      return new Decision.RemoteFork<>(remote);
    }
    SeedRecord starting = pool.seedStartingElsewhere();
    if (starting != null && !((Decision.StartCold<I, S>) local).makeSeed()) {
      return new Decision.AwaitSeed<>(starting);
    }
    return local;
  }
}
