package io.cleave.invoker;

import io.cleave.scheduler.SeedRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Children forked ahead of demand ({@code --fork-ahead} per seed; a JVM seed keeps as many
 * instances started ahead, see {@link #topUpInJvm}): a fork through forkd costs a
 * call the RPC, the seed's fork, the child's readiness and a first connection, several ms; a child
 * forked while the function is quiet and parked as a ready instance costs the call none of it.
 * Parked children count against node memory like any instance (reserved only when it fits now: a
 * parked child never pushes out other work, and eviction takes parked children first, as they were
 * never used), never idle out, and go with their seed. Their first call reports start mode
 * {@code fork} and waited for no start. Under remote-fork a node without the seed that ran the
 * function's calls keeps as many children of the cluster's seed restored ahead ({@link
 * #topUpRemote}; start mode {@code remote-fork}). Touched only on the invoker's loop.
 */
final class ForkAhead {
  /** Starts a fork of the pool's seed whose memory is already counted. */
  interface Starter {
    void fork(FunctionPool pool, Seed seed, boolean parked);
  }

  private final int perSeed;
  private final NodeMemory memory;
  private final InstanceClient client;

  ForkAhead(int perSeed, NodeMemory memory, InstanceClient client) {
    this.perSeed = perSeed;
    this.memory = memory;
    this.client = client;
  }

  /**
   * Forks children of the pool's seed until it has {@code perSeed} parked or starting to park, as
   * far as memory is free. Called when the seed is ready and when a call ended; it waits until
   * none of the function's calls runs: a fork costs forkd, the seed and the child several ms of
   * CPU, which on a small node the calls of the burst that took the parked children would share.
   */
  void topUp(FunctionPool pool, Starter starter) {
    if (perSeed == 0 || !pool.queue.isEmpty() || pool.instances.stream().anyMatch(i -> i.active > 0)) {
      return;
    }
    Seed seed = pool.forkableSeed();
    if (seed == null) {
      return;
    }
    int mb = pool.fn.memory();
    for (int n = parked(pool); n < perSeed && memory.shortOf(mb) <= 0 && memory.reserve(mb); n++) {
      starter.fork(pool, seed, true);
    }
  }

  /** Restores a child of the cluster's seed on another node here, its memory already counted. */
  interface RemoteStarter {
    void restore(FunctionPool pool, SeedRecord seed, boolean parked);
  }

  /**
   * The same on a node without the function's seed that ran its calls: children of the cluster's
   * seed on another node restored here ahead of demand, so the next call here waits for no restore.
   */
  void topUpRemote(FunctionPool pool, RemoteStarter starter) {
    if (perSeed == 0 || pool.forkableSeed() != null || !pool.queue.isEmpty()
        || pool.instances.stream().anyMatch(i -> i.active > 0)) {
      return;
    }
    SeedRecord seed = pool.remoteSeed();
    if (seed == null) {
      return;
    }
    int mb = pool.fn.memory();
    for (int n = parked(pool); n < perSeed && memory.shortOf(mb) <= 0 && memory.reserve(mb); n++) {
      starter.restore(pool, seed, true);
    }
  }

  /**
   * The same for a Java function: instances started ahead in its JVM seed with room (under
   * {@code bound} instances), which {@code starter} starts with their memory already counted. A
   * function with no running JVM seed parks nothing: its next call starts one cold.
   */
  void topUpInJvm(FunctionPool pool, int bound, java.util.function.Consumer<String> starter) {
    if (perSeed == 0 || !pool.queue.isEmpty() || pool.instances.stream().anyMatch(i -> i.active > 0)) {
      return;
    }
    int mb = pool.fn.memory();
    for (int n = parked(pool); n < perSeed && memory.shortOf(mb) <= 0; n++) {
      String jvm = pool.jvms.withRoom(pool.version, bound);
      if (jvm == null || !pool.hostsCalls(jvm) || !memory.reserve(mb)) {
        return;
      }
      starter.accept(jvm);
    }
  }

  /**
   * A parked child is up: its first connection is made now with a request the runtime answers
   * without the function (404), so the call that takes it finds a pooled keep-alive connection
   * and the runtime's request path already run once in this process.
   */
  void ready(Instance child) {
    client.warmUp(child.listener);
  }

  /** The pool's seed went: its ready parked children go with it (those still starting go when up). */
  static List<Instance> orphans(FunctionPool pool) {
    List<Instance> out = new ArrayList<>();
    for (Instance i : pool.instances) {
      if (i.parked && i.state == Instance.State.READY) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * Parked children of other pools to stop so that {@code needMb} more fits (as many as there are
   * when that is not enough): a seed is worth more than another function's children forked on the
   * chance of a burst, and a seed, unlike a call, never evicts anything itself.
   */
  static List<Eviction.IdleInstance> makeRoom(Iterable<FunctionPool> pools, FunctionPool requester, long needMb) {
    List<Eviction.IdleInstance> out = new ArrayList<>();
    long freed = 0;
    for (FunctionPool p : pools) {
      if (p == requester) {
        continue;
      }
      for (Instance i : p.instances) {
        if (freed >= needMb) {
          return out;
        }
        if (i.parked && i.state == Instance.State.READY) {
          out.add(new Eviction.IdleInstance(p, i));
          freed += i.memoryMb;
        }
      }
    }
    return out;
  }

  private static int parked(FunctionPool pool) {
    int n = 0;
    for (Instance i : pool.instances) {
      if (i.parked && i.state != Instance.State.RETIRED) {
        n++;
      }
    }
    return n;
  }
}
