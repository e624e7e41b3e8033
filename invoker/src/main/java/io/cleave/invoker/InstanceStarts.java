package io.cleave.invoker;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.FnNetwork;
import io.cleave.common.model.StartMode;
import io.cleave.forkd.api.RemoteRef;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import io.cleave.scheduler.SeedRecord;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How each kind of instance placement asked for is started on this node (a fork of the seed, a
 * child restored from the cluster's seed elsewhere, a cold start, an instance in a JVM seed) and
 * becomes ready for calls; what a failed start does to the waiting calls. Runs on the invoker's
 * loop, as {@link InstancePools}, which decides when; {@code schedule} hands the pool back to it
 * once an instance is up or failed.
 */
final class InstanceStarts {
  private final InvokerLoop loop;
  private final InvokerSettings settings;
  private final InstanceHost host;
  private final FunctionCode code;
  private final InvokerMetrics metrics;
  private final CallRecords records;
  private final NodeMemory memory;
  private final Seeds seeds;
  private final ForkAhead ahead;
  private final PoolGauges gauges;
  private final InstanceRetirement retirement;
  private final Supplier<Iterable<FunctionPool>> pools;
  private final Consumer<FunctionPool> schedule;
  private final BooleanSupplier closing;

  InstanceStarts(InvokerLoop loop, InvokerSettings settings, InstanceHost host, FunctionCode code,
      InvokerMetrics metrics, CallRecords records, NodeMemory memory, Seeds seeds, ForkAhead ahead, PoolGauges gauges,
      InstanceRetirement retirement, Supplier<Iterable<FunctionPool>> pools, Consumer<FunctionPool> schedule,
      BooleanSupplier closing) {
    this.loop = loop;
    this.settings = settings;
    this.host = host;
    this.code = code;
    this.metrics = metrics;
    this.records = records;
    this.memory = memory;
    this.seeds = seeds;
    this.ahead = ahead;
    this.gauges = gauges;
    this.retirement = retirement;
    this.pools = pools;
    this.schedule = schedule;
    this.closing = closing;
  }

  /** {@code parked}: forked ahead of demand ({@link ForkAhead}); the seed counts as used only once a call takes it. */
  void startFork(FunctionPool pool, Seed seed, boolean parked) {
    Instance inst = new Instance(pool.version, pool.fn.memory(), StartMode.FORK, false);
    inst.parked = parked;
    if (!parked) {
      seeds.forking(seed);
    }
    String seedId = seed.id;
    start(pool, inst, l -> StartRequest.fork(seedId, pool.fnId, pool.fn.appId(), pool.fn.memory(), l.env()),
        cause -> seeds.forkFailed(pool, seed, cause)); // the call stays queued and starts cold instead
  }

  /**
   * A child of the cluster's seed on another node, restored here; if that fails the call starts another
   * way. {@code parked}: restored ahead of demand ({@link ForkAhead#topUpRemote}).
   */
  void startRemoteFork(FunctionPool pool, SeedRecord seed, boolean parked) {
    Instance inst = new Instance(pool.version, pool.fn.memory(), StartMode.REMOTE_FORK, false);
    inst.parked = parked;
    inst.seedNode = seed.node();
    inst.restoredFrom = seed.remote();
    RemoteRef ref = new RemoteRef(seed.remote().pageServer(), seed.remote().handle(), seed.remote().key());
    start(pool, inst, l -> StartRequest.remoteFork(ref, pool.fnId, pool.fn.appId(), l.bundleDir().toString(),
        pool.fn.memory(), l.env()).withNetwork(FnNetwork.of(pool.fn.annotations())), cause -> seeds.remoteForkFailed(pool, seed, cause));
  }

  /**
   * A fresh instance for the call: in a Java function's JVM seed with room when the policy starts
   * from seeds, else cold (a Java function's cold start is a new JVM seed).
   */
  void startCold(FunctionPool pool, boolean makeSeed, boolean singleUse) {
    String jvm = singleUse || !settings.policy().startsFromSeeds() ? null
        : pool.jvms.withRoom(pool.version, settings.jvmInstances());
    if (jvm != null) {
      startInJvm(pool, jvm, false);
      return;
    }
    Instance inst = new Instance(pool.version, pool.fn.memory(), StartMode.COLD, singleUse);
    if (pool.unforkable != null) {
      inst.startNote = "not forked: " + pool.unforkable;
    }
    if (makeSeed) {
      long shortMb = memory.shortOf(pool.fn.memory());
      if (shortMb > 0) {
        ForkAhead.makeRoom(pools.get(), pool, shortMb).forEach(v -> retirement.retire(v.pool(), v.instance()));
      }
      seeds.start(pool);
    }
    start(pool, inst, l -> l.coldStart(pool.fnId, pool.fn.appId(), pool.fn.memory())
        .withNetwork(FnNetwork.of(pool.fn.annotations())), cause -> failOne(pool, Causes.startFailure(cause)));
  }

  /**
   * A new instance in running JVM seed {@code jvm}, with its own config; {@code parked}: started
   * ahead of demand ({@link ForkAhead}). If the seed is gone the call stays queued and starts
   * another way; any other failure fails the call, as a cold start's would.
   */
  void startInJvm(FunctionPool pool, String jvm, boolean parked) {
    Instance inst = new Instance(pool.version, pool.fn.memory(), StartMode.INSTANCE, false);
    inst.jvmSeed = jvm;
    inst.parked = parked;
    pool.jvms.take(jvm, pool.version);
    start(pool, inst, l -> StartRequest.instance(jvm, pool.fnId, pool.fn.appId(), pool.fn.memory(), l.env()),
        cause -> {
          pool.jvms.give(jvm);
          if (cause instanceof ApiError e && (e.status() == 404 || e.status() == 409)) {
            pool.jvms.lost(jvm);
          } else if (!parked) {
            failOne(pool, Causes.startFailure(cause));
          }
        });
  }

  private void start(FunctionPool pool, Instance inst, Function<FunctionCode.Launch, StartRequest> request,
      Consumer<Throwable> failed) {
    int slots = inst.singleUse ? 1 : pool.concurrency();
    pool.instances.add(inst);
    pool.startingSlots += slots;
    long t0 = System.nanoTime();
    loop.here(pool.launch(code, loop).compose(l -> host.start(request.apply(l)))).onComplete(ar -> {
      pool.startingSlots -= slots;
      if (ar.failed()) {
        pool.instances.remove(inst);
        inst.destroyed = true;
        memory.release(inst.memoryMb);
        failed.accept(ar.cause());
        schedule.accept(pool);
        return;
      }
      ready(pool, inst, ar.result(), System.nanoTime() - t0);
    });
  }

  private void ready(FunctionPool pool, Instance inst, StartedInstance started, long startNanos) {
    inst.id = started.instanceId();
    inst.listener = started.listener();
    inst.output = Instance.outputOf(started);
    if (started.seedId() != null && inst.jvmSeed == null) {
      // A JVM seed's first instance (cold) makes the seed known; later ones named it when they started.
      inst.jvmSeed = started.seedId();
      pool.jvms.take(inst.jvmSeed, inst.version);
    }
    inst.initMs = TimeUnit.NANOSECONDS.toMillis(startNanos);
    inst.state = Instance.State.READY;
    // A parked child was never used: warm instances are preferred to it, and eviction takes it first.
    inst.lastUsedNanos = inst.parked ? Long.MIN_VALUE : System.nanoTime();
    metrics.instanceStarted(inst.origin, startNanos);
    gauges.started(inst, settings.node());
    if (closing.getAsBoolean() || !inst.version.equals(pool.version) || inst.parked && !pool.parkedHostRuns(inst)) {
      retirement.retire(pool, inst);
    } else if (inst.parked) {
      ahead.ready(inst);
    }
    schedule.accept(pool);
    if (inst.state == Instance.State.READY && inst.active == 0 && !inst.parked) {
      if (inst.singleUse) {
        retirement.retire(pool, inst);
      } else {
        retirement.armIdle(pool, inst);
      }
    }
  }

  /** An instance did not start: the first waiting call fails with the reason. */
  private void failOne(FunctionPool pool, ApiError error) {
    Pending p = pool.queue.poll();
    if (p != null) {
      memory.stopWaiting(p);
      p.promise.tryFail(error);
      records.startFailed(p, error);
    }
  }
}
