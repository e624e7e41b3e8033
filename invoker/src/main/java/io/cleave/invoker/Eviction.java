package io.cleave.invoker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * What to stop to make room for a start (Fn's evictor): idle instances of other functions, least
 * recently used first, then seeds of other functions, least recently forked first. Busy instances
 * and the requesting function's own instances and seed are never chosen.
 */
final class Eviction {
  /** Something that can be stopped for its memory. */
  sealed interface Victim permits IdleInstance, IdleSeed {
    int memoryMb();

    long lastUsedNanos();
  }

  record IdleInstance(FunctionPool pool, Instance instance) implements Victim {
    @Override
    public int memoryMb() {
      return instance.memoryMb;
    }

    @Override
    public long lastUsedNanos() {
      return instance.lastUsedNanos;
    }
  }

  record IdleSeed(FunctionPool pool, Seed seed) implements Victim {
    @Override
    public int memoryMb() {
      return seed.memoryMb;
    }

    @Override
    public long lastUsedNanos() {
      return seed.lastUsedNanos;
    }
  }

  private static final Comparator<Victim> LEAST_RECENTLY_USED = Comparator.comparingLong(Victim::lastUsedNanos);

  private Eviction() {}

  /** Victims, in order, that free at least {@code needMb} in all (every candidate when they cannot). */
  static List<Victim> victims(Collection<FunctionPool> pools, FunctionPool requester, long needMb) {
    List<Victim> instances = new ArrayList<>();
    List<Victim> seeds = new ArrayList<>();
    for (FunctionPool p : pools) {
      if (p == requester) {
        continue;
      }
      for (Instance i : p.instances) {
        if (i.state == Instance.State.READY && i.active == 0) {
          instances.add(new IdleInstance(p, i));
        }
      }
      if (p.seed != null && p.seed.state == Seed.State.READY) {
        seeds.add(new IdleSeed(p, p.seed));
      }
    }
    instances.sort(LEAST_RECENTLY_USED);
    seeds.sort(LEAST_RECENTLY_USED);
    List<Victim> candidates = new ArrayList<>(instances);
    candidates.addAll(seeds);
    List<Victim> chosen = new ArrayList<>();
    long freed = 0;
    for (Victim v : candidates) {
      if (freed >= needMb) {
        break;
      }
      chosen.add(v);
      freed += v.memoryMb();
    }
    return chosen;
  }
}
