package io.cleave.invoker;

import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.FnNetwork;
import io.cleave.scheduler.PoolView;
import io.cleave.scheduler.SeedDirectory;
import io.cleave.scheduler.SeedKey;
import io.cleave.scheduler.SeedRecord;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One function's instances, seed and waiting calls on this node, and placement's view of them;
 * touched only on the invoker's loop.
 */
final class FunctionPool implements PoolView<Instance, Seed> {
  /** What an instance is made from; a change retires the function's instances and seed. */
  record Version(String image, int memoryMb, Map<String, String> config, FnNetwork network) {}

  private static final Comparator<Instant> TIME = Comparator.nullsFirst(Comparator.naturalOrder());

  final String fnId;
  /** Where this version's seed is, cluster-wide under remote-fork, this node's own otherwise. */
  private final SeedDirectory seeds;
  private SeedKey seedKey;
  Fn fn;
  App app;
  Version version;
  /** The command, environment and code directory for the current version, once resolved. */
  private Future<FunctionCode.Launch> launch;
  final List<Instance> instances = new ArrayList<>();
  final ArrayDeque<Pending> queue = new ArrayDeque<>();
  /** Call slots of instances being started, which queued calls may count on. */
  int startingSlots;
  Seed seed;
  /** The current version's runtime once its launch resolved (null before). */
  FunctionRuntime runtime;
  /** The JVM seeds of a Java function on this node. */
  final JvmSeats jvms = new JvmSeats();
  /** Set when the current version's seed refused to fork (threads at import): no seed is kept for it. */
  String unforkable;
  long seedRetryAfterNanos;
  long forkRetryAfterNanos;
  private Map<String, String> fnConfig;
  private Map<String, String> appConfig;
  /** How long calls here wait for a seed another node is starting ({@link #seedStartingElsewhere}). */
  private final long seedWaitNanos;
  /** The starting seed elsewhere calls here wait for, and since when; a new record starts a new wait. */
  private SeedRecord awaitedSeed;
  private long awaitedSinceNanos;
  /** The timer that places the waiting calls again when the seed wait runs out, or -1. */
  long seedWaitTimer = -1;

  FunctionPool(String fnId, SeedDirectory seeds, long seedWaitNanos) {
    this.fnId = fnId;
    this.seeds = seeds;
    this.seedWaitNanos = seedWaitNanos;
  }

  /** The current version's name in the seed directory (hashed once per version: placement asks per call). */
  SeedKey seedKey() {
    return seedKey;
  }

  /**
   * Takes the newest function and app definitions seen (a detached call may carry an older copy,
   * which must not roll the function back). Returns true when the instance version changed.
   */
  boolean observe(Fn newFn, App newApp) {
    if (fn == null || TIME.compare(newFn.updatedAt(), fn.updatedAt()) >= 0) {
      fn = newFn;
    }
    if (newApp != null && (app == null || TIME.compare(newApp.updatedAt(), app.updatedAt()) >= 0)) {
      app = newApp;
    }
    Map<String, String> appConfig = app == null ? null : app.config();
    FnNetwork network = FnNetwork.of(fn.annotations());
    if (version != null && Objects.equals(version.image(), fn.image()) && version.memoryMb() == fn.memory()
        && version.network() == network && Objects.equals(fn.config(), fnConfig) && Objects.equals(appConfig, this.appConfig)) {
      return false; // the common case: nothing changed, nothing allocated
    }
    fnConfig = fn.config();
    this.appConfig = appConfig;
    Map<String, String> config = new HashMap<>();
    if (appConfig != null) {
      config.putAll(appConfig);
    }
    if (fn.config() != null) {
      config.putAll(fn.config());
    }
    Version next = new Version(fn.image(), fn.memory(), Map.copyOf(config), network);
    if (next.equals(version)) {
      return false;
    }
    version = next;
    seedKey = SeedKey.of(fnId, next.image(), next.memoryMb(), next.config(), next.network());
    launch = null;
    runtime = null;
    unforkable = null;
    return true;
  }

  /** The function is gone: no instance or seed of the last version is current any more. */
  void forgetVersion() {
    version = null;
    seedKey = null;
    launch = null;
    runtime = null;
    fnConfig = null;
    appConfig = null;
  }

  /** Nothing runs, starts or waits here any more: the pool can be dropped. */
  boolean isEmpty() {
    return instances.isEmpty() && queue.isEmpty() && seed == null && startingSlots == 0;
  }

  int concurrency() {
    return Math.max(1, fn.concurrency());
  }

  /** How to start the current version: resolved once (again after a failure), completed on the loop. */
  Future<FunctionCode.Launch> launch(FunctionCode code, InvokerLoop loop) {
    if (launch == null) {
      Future<FunctionCode.Launch> f = loop.here(code.launch(fn, version.config()));
      launch = f;
      f.onSuccess(l -> {
        if (launch == f) {
          runtime = l.runtime();
        }
      });
      // A future that failed already runs this handler at once: answer f, not the cleared field.
      f.onFailure(e -> {
        if (launch == f) {
          launch = null;
        }
      });
      return f;
    }
    return launch;
  }

  /**
   * What a parked instance waits in still runs: its seed (a fork child; a remote child's is the
   * cluster's seed on another node, still the one it was restored from), or a JVM seed serving calls.
   */
  boolean parkedHostRuns(Instance inst) {
    if (inst.restoredFrom != null) {
      SeedRecord held = remoteSeed();
      return held != null && inst.restoredFrom.equals(held.remote());
    }
    return inst.jvmSeed == null ? seed != null : hostsCalls(inst.jvmSeed);
  }

  /** JVM seed {@code jvm} exited: nothing starts in it any more; answers its idle instances, to retire. */
  List<Instance> jvmSeedLost(String jvm) {
    jvms.lost(jvm);
    List<Instance> idle = new ArrayList<>();
    for (Instance i : instances) {
      if (jvm.equals(i.jvmSeed) && i.state == Instance.State.READY && i.active == 0) {
        idle.add(i);
      }
    }
    return idle;
  }

  /**
   * JVM seed {@code jvm} still runs and hosts an instance that serves calls (ready or starting,
   * not parked): instances parked in it wait for those calls, and go with the last of them.
   */
  boolean hostsCalls(String jvm) {
    if (jvms.isLost(jvm)) {
      return false;
    }
    for (Instance i : instances) {
      if (jvm.equals(i.jvmSeed) && !i.parked && !i.destroyed && i.state != Instance.State.RETIRED) {
        return true;
      }
    }
    return false;
  }

  @Override
  public int waitingCalls() {
    return queue.size();
  }

  @Override
  public int startingSlots() {
    return startingSlots;
  }

  /** The most recently used ready instance of the current version with a free call slot. */
  @Override
  public Instance warmInstance() {
    Instance best = null;
    for (Instance i : instances) {
      if (i.state == Instance.State.READY && !i.singleUse && i.version.equals(version) && i.active < concurrency()
          && (best == null || i.lastUsedNanos > best.lastUsedNanos)) {
        best = i;
      }
    }
    return best;
  }

  /** A freshly started single-use instance that has not served its call yet. */
  @Override
  public Instance startedInstance() {
    for (Instance i : instances) {
      if (i.state == Instance.State.READY && i.singleUse && !i.served && i.active == 0) {
        return i;
      }
    }
    return null;
  }

  /** The current version's ready seed, unless a fork failed a short while ago. */
  @Override
  public Seed forkableSeed() {
    return seed != null && seed.state == Seed.State.READY && seed.version.equals(version)
        && System.nanoTime() >= forkRetryAfterNanos ? seed : null;
  }

  /**
   * No seed yet here or elsewhere, the version forks (a JVM never does), and no seed start failed a
   * short while ago.
   */
  @Override
  public boolean seedWanted() {
    return seed == null && unforkable == null && !(runtime instanceof FunctionRuntime.Java) && System.nanoTime() >= seedRetryAfterNanos
        && seeds.find(seedKey()) == null;
  }

  /**
   * The version's seed while another node starts it, for as long as the seed wait allows from when
   * this node first saw that record; a function that cannot be forked here waits for nothing.
   */
  @Override
  public SeedRecord seedStartingElsewhere() {
    SeedRecord held = seedKey == null ? null : seeds.find(seedKey);
    long now = System.nanoTime();
    if (held == null || held.ready() || seeds.isLocal(held) || seedWaitNanos == 0 || unforkable != null
        || runtime instanceof FunctionRuntime.Java || now < forkRetryAfterNanos) {
      return null;
    }
    if (!held.equals(awaitedSeed)) {
      awaitedSeed = held;
      awaitedSinceNanos = now;
    }
    return now - awaitedSinceNanos < seedWaitNanos ? held : null;
  }

  /** Nanoseconds until the wait for {@code seed} runs out (0 when it has). */
  long seedWaitLeftNanos(SeedRecord seed) {
    return seed.equals(awaitedSeed) ? Math.max(0, seedWaitNanos - (System.nanoTime() - awaitedSinceNanos)) : 0;
  }

  /** The version's seed on another node, once ready and prepared for remote children. */
  @Override
  public SeedRecord remoteSeed() {
    SeedRecord held = seeds.find(seedKey());
    return held != null && held.ready() && held.remote() != null && !seeds.isLocal(held)
        && unforkable == null && System.nanoTime() >= forkRetryAfterNanos ? held : null;
  }
}
