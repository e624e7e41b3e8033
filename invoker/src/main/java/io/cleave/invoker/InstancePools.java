package io.cleave.invoker;

import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FnActivity;
import io.cleave.common.invoke.NodeLoad;
import io.cleave.common.model.Fn;
import io.cleave.scheduler.Decision;
import io.cleave.scheduler.LocalSeedDirectory;
import io.cleave.scheduler.Placement;
import io.cleave.scheduler.SeedDirectory;
import io.cleave.scheduler.SeedRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The node's instance pools and the flow of each call through them: the policy's {@link Placement}
 * decides (warm instance, fork of the seed, cold start, or wait), {@link InstanceStarts} starts
 * what it chose, {@link NodeMemory} counts the room a start takes and {@link Eviction} makes it,
 * {@link Seeds} keeps the seeds, and
 * {@link CallRecords} records each call. Everything here runs on the invoker's loop, so pool state
 * needs no locks; host, instance and disk work is asynchronous and its results come back to it.
 */
final class InstancePools {
  /** How often the remote fork and page server counters are brought up to date. */
  private static final long REMOTE_FORK_SAMPLE_MS = 3_000;

  private final Vertx vertx;
  private final InvokerSettings settings;
  private final Placement placement;
  private final InstanceHost host;
  private final CallRecords records;
  private final NodeMemory memory;
  private final Seeds seeds;
  private final ForkAhead ahead;
  private final PoolGauges gauges;
  private final CallDispatch calls;
  private final InstanceStarts starts;
  private final Map<String, FunctionPool> pools = new HashMap<>();
  private final List<Long> timers = new ArrayList<>();
  private boolean closing;

  private final SeedDirectory seedDirectory;
  private final InstanceRetirement retirement;

  /** {@code clusterSeeds}: the cluster's seed directory, used under remote-fork (one seed per cluster). */
  InstancePools(Vertx vertx, InvokerLoop loop, InvokerSettings settings, InstanceHost host, InstanceClient client,
      FunctionCode code, InvokerMetrics metrics, ActivationStore activations, SeedDirectory clusterSeeds) {
    this.vertx = vertx;
    this.settings = settings;
    this.placement = settings.policy().placement();
    this.host = host;
    this.records = new CallRecords(vertx, loop, activations, metrics, settings.node(), settings.logLimitBytes());
    this.memory = new NodeMemory(vertx, loop, settings.memoryCapacityMb(), settings.capacityWait(), this::schedule,
        this::refuse);
    // Other policies keep one seed per function on each node: a directory of this node's own.
    this.seedDirectory = settings.policy() == Policy.REMOTE_FORK ? clusterSeeds : new LocalSeedDirectory();
    this.retirement = new InstanceRetirement(vertx, memory, host);
    this.ahead = new ForkAhead(settings.forkAhead(), memory, client);
    this.seeds = new Seeds(vertx, loop, host, code, memory, settings.seedIdle(), pool -> {
      schedule(pool);
      parkAhead(pool);
    }, pool -> ForkAhead.orphans(pool).forEach(i -> retirement.retire(pool, i)), seedDirectory, settings.node(),
        settings.policy() == Policy.REMOTE_FORK);
    RemoteChildLoss childLoss = new RemoteChildLoss(vertx, host, seeds);
    this.gauges = new PoolGauges(metrics, host);
    this.starts = new InstanceStarts(loop, settings, host, code, metrics, records, memory, seeds, ahead, gauges,
        retirement, pools::values, this::schedule, () -> closing);
    this.calls = new CallDispatch(loop, settings, host, client, records, memory, seeds, childLoss, retirement,
        this::schedule, this::parkAhead);
    RemoteForkCounters remoteForks = new RemoteForkCounters(metrics, host);
    seedDirectory.watch(fnId -> loop.run(() -> seedChanged(fnId)));
    loop.later(() -> {
      timers.add(vertx.setPeriodic(1000, t -> {
        pools.values().removeIf(FunctionPool::isEmpty);
        gauges.count(pools.values());
      }));
      timers.add(vertx.setPeriodic(10_000, t -> gauges.sampleMemory(pools.values())));
      timers.add(vertx.setPeriodic(REMOTE_FORK_SAMPLE_MS, t -> {
        remoteForks.sample();
        seeds.republishSnapshots(pools.values());
      }));
    });
  }

  /** The node's instance memory, which kept flow instances count against too ({@link KeptInstances}). */
  NodeMemory memory() {
    return memory;
  }

  // ---- entry points (called on the loop) ----

  /** Takes a call; the promise completes with the function's answer or an {@link ApiError}. */
  void submit(Call call, Promise<CallResult> promise) {
    if (closing) {
      promise.fail(new ApiError(503, "the node is shutting down", 1));
      return;
    }
    FunctionPool pool = pools.computeIfAbsent(call.fn().id(), id -> new FunctionPool(id, seedDirectory, settings.seedWait().toNanos()));
    if (pool.observe(call.fn(), call.app())) {
      retireAll(pool);
    }
    Pending pending = new Pending(call, promise);
    if (pool.fn.memory() > settings.memoryCapacityMb()) {
      refuse(pending, new ApiError(503, "function needs " + pool.fn.memory() + " MB, more than this node's "
          + settings.memoryCapacityMb() + " MB for instances"));
      return;
    }
    pool.queue.add(pending);
    schedule(pool);
  }

  /**
   * The registry changed a function ({@code now}) or deleted it (null): its seed and idle instances
   * go at once, instances still starting go when they are up, busy ones after their calls. Calls
   * already accepted still run.
   */
  void fnChanged(String fnId, Fn now) {
    FunctionPool pool = pools.get(fnId);
    if (pool == null || pool.fn == null) {
      return;
    }
    if (now == null) {
      if (pool.queue.isEmpty()) {
        pool.forgetVersion(); // calls still queued run on the last version, then it idles out
      }
      retireAll(pool);
    } else if (pool.observe(now, null)) {
      retireAll(pool);
    }
    if (pool.isEmpty()) {
      pools.remove(fnId, pool);
    }
  }

  Future<Void> recorded(String id) {
    return records.recorded(id);
  }

  Future<Void> allRecorded() {
    return records.allRecorded();
  }

  /** The function's calls and instances on this node, for the console. */
  FnActivity activity(String fnId) {
    return ActivityReport.of(settings.node(), fnId, pools.get(fnId), records.tally());
  }

  /** This node's load for the cluster's directory; safe from any thread. */
  NodeLoad load() {
    return gauges.load(settings.node(), memory);
  }

  /** Fails waiting calls and stops every instance and seed; completes when the host confirmed (bounded). */
  Future<Void> close() {
    closing = true;
    timers.forEach(vertx::cancelTimer);
    List<Future<Void>> stops = new ArrayList<>();
    for (FunctionPool pool : pools.values()) {
      Pending p;
      while ((p = pool.queue.poll()) != null) {
        memory.stopWaiting(p);
        p.promise.tryFail(new ApiError(503, "the node is shutting down", 1));
      }
      for (Instance i : pool.instances) {
        if (i.id != null && !i.destroyed) {
          i.destroyed = true;
          stops.add(host.delete(i.id));
        }
      }
    }
    stops.addAll(seeds.close(pools.values()));
    return Future.join(stops).timeout(10, TimeUnit.SECONDS).<Void>mapEmpty().otherwiseEmpty();
  }

  // ---- placement ----

  /** Serves the pool's waiting calls as far as instances and memory allow. */
  private void schedule(FunctionPool pool) {
    while (!pool.queue.isEmpty()) {
      Decision<Instance, Seed> decision = placement.place(pool);
      if (decision instanceof Decision.UseWarm<Instance, Seed> warm) {
        calls.dispatch(pool, pool.queue.poll(), warm.instance());
      } else if (decision instanceof Decision.UseStarted<Instance, Seed> started) {
        calls.dispatch(pool, pool.queue.poll(), started.instance());
      } else if (decision instanceof Decision.AwaitSeed<Instance, Seed> await && !closing) {
        awaitSeed(pool, await.seed());
        break;
      } else if (closing || decision instanceof Decision.Wait) {
        break;
      } else if (!reserve(pool, pool.fn.memory())) {
        memory.waitFor(pool);
        return;
      } else if (decision instanceof Decision.Fork<Instance, Seed> fork) {
        starts.startFork(pool, fork.seed(), false);
      } else if (decision instanceof Decision.RemoteFork<Instance, Seed> remote) {
        starts.startRemoteFork(pool, remote.seed(), false);
      } else if (decision instanceof Decision.StartCold<Instance, Seed> cold) {
        starts.startCold(pool, cold.makeSeed(), cold.singleUse());
      }
    }
    memory.stopWaiting(pool);
  }

  /**
   * The waiting calls wait for the seed another node is starting: the directory's next change to it
   * places them again ({@link #seedChanged}), and so does this timer when the wait runs out first.
   */
  private void awaitSeed(FunctionPool pool, SeedRecord seed) {
    if (pool.seedWaitTimer >= 0) {
      return;
    }
    long delayMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(pool.seedWaitLeftNanos(seed)) + 1);
    pool.seedWaitTimer = vertx.setTimer(delayMs, t -> {
      pool.seedWaitTimer = -1;
      schedule(pool);
    });
  }

  /** Another node's seed record of the function changed (claimed, ready, gone): its waiting calls are placed again. */
  private void seedChanged(String fnId) {
    FunctionPool pool = pools.get(fnId);
    if (pool == null || closing) {
      return;
    }
    if (pool.seedWaitTimer >= 0) {
      vertx.cancelTimer(pool.seedWaitTimer);
      pool.seedWaitTimer = -1;
    }
    schedule(pool);
  }

  /** Counts the memory of a start, stopping idle instances and seeds of other functions if it does not fit. */
  private boolean reserve(FunctionPool pool, int mb) {
    long shortMb = memory.shortOf(mb);
    if (shortMb > 0) {
      for (Eviction.Victim victim : Eviction.victims(pools.values(), pool, shortMb)) {
        if (victim instanceof Eviction.IdleInstance idle) {
          retirement.retire(idle.pool(), idle.instance());
        } else if (victim instanceof Eviction.IdleSeed seed) {
          seeds.retire(seed.pool());
        }
      }
    }
    return memory.reserve(mb);
  }

  private void parkAhead(FunctionPool pool) {
    if (closing) {
      return;
    }
    if (!(pool.runtime instanceof FunctionRuntime.Java)) {
      ahead.topUp(pool, starts::startFork);
      // Children restored ahead from a seed since replaced would wait for calls that go elsewhere.
      for (Instance i : new ArrayList<>(pool.instances)) {
        if (i.parked && i.restoredFrom != null && i.state == Instance.State.READY && !pool.parkedHostRuns(i)) {
          retirement.retire(pool, i);
        }
      }
      ahead.topUpRemote(pool, starts::startRemoteFork);
    } else if (settings.policy().startsFromSeeds()) {
      ahead.topUpInJvm(pool, settings.jvmInstances(), jvm -> starts.startInJvm(pool, jvm, true));
    }
  }

  /** Fails a call that never ran and records why. */
  private void refuse(Pending p, ApiError error) {
    p.promise.tryFail(error);
    records.refused(p, error);
  }

  // ---- instance lifecycle ----

  private void retireAll(FunctionPool pool) {
    for (Instance i : new ArrayList<>(pool.instances)) {
      if (i.state == Instance.State.READY) {
        retirement.retire(pool, i);
      }
    }
    seeds.retire(pool);
  }

}
