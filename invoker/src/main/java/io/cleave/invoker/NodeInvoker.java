package io.cleave.invoker;

import io.cleave.common.activation.Activation;
import io.cleave.flows.ForkedStepStarter;
import io.cleave.common.activation.ActivationLog;
import io.cleave.common.activation.ActivationQuery;
import io.cleave.common.bundle.BundleCopies;
import io.cleave.common.bundle.BundleSource;
import io.cleave.common.bundle.TarGzUnpacker;
import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.invoke.NodeLoad;
import io.cleave.common.model.Fn;
import io.cleave.forkd.api.ForkdClient;
import io.cleave.scheduler.LocalSeedDirectory;
import io.cleave.scheduler.SeedDirectory;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One node's invoker: runs calls on instances that forkd starts (see {@link InstancePools}),
 * keeps the durable detached-call queue and the activation records.
 */
public final class NodeInvoker implements FunctionInvoker, ActivationLog, AutoCloseable {
  private static final long READ_WAIT_MS = 5000;

  private final InvokerLoop loop;
  private final InstanceClient client;
  private final ActivationStore activations;
  private final DetachedQueue detached;
  private final InstancePools pools;
  private final FunctionCode code;
  private final KeptInstances kept;
  /** Detached calls running here by call id, so a second delivery of one joins it; touched on the loop. */
  private final Map<String, Future<CallResult>> detachedRunning = new HashMap<>();

  private NodeInvoker(
      Vertx vertx, InvokerSettings settings, InstanceHost host, BundleSource bundles, UnpackLimits unpackLimits,
      MeterRegistry registry, SeedDirectory clusterSeeds) {
    // A fresh event-loop context when opened outside Vert.x: all pool state lives on it.
    this.loop = new InvokerLoop(vertx.getOrCreateContext());
    InvokerMetrics metrics = new InvokerMetrics(registry);
    this.client = new InstanceClient(vertx, settings.maxResponseBytes());
    this.activations = ActivationStore.open(vertx, settings.dataDir().resolve("activations"),
        new ActivationStore.Retention(settings.activationMaxAge(), settings.activationMaxRecords(),
            settings.activationMaxBytes()));
    this.detached = DetachedQueue.open(vertx, settings.dataDir().resolve("queue"), settings.detachedParallelism());
    this.code = new FunctionCode(vertx, bundles, new TarGzUnpacker(unpackLimits),
        settings.dataDir().resolve("unpacked"));
    this.pools = new InstancePools(vertx, loop, settings, host, client, code, metrics, activations, clusterSeeds);
    this.kept = new KeptInstances(loop, host, client, code, pools.memory(), settings.node());
    metrics.queueDepthGauge(detached::depth);
  }

  /**
   * Opens the invoker's stores under the data directory; queued detached calls wait for {@link
   * #resumeDetached}. Blocking (RocksDB); call from the composition's main thread, not from an event loop.
   */
  public static NodeInvoker open(
      Vertx vertx, InvokerSettings settings, ForkdClient host, BundleSource bundles, UnpackLimits unpackLimits,
      MeterRegistry registry) {
    return open(vertx, settings, host, bundles, unpackLimits, registry, new LocalSeedDirectory());
  }

  /** The same, sharing seeds through {@code clusterSeeds} (used under the remote-fork policy). */
  public static NodeInvoker open(
      Vertx vertx, InvokerSettings settings, ForkdClient host, BundleSource bundles, UnpackLimits unpackLimits,
      MeterRegistry registry, SeedDirectory clusterSeeds) {
    return new NodeInvoker(vertx, settings, new ForkdHost(host), bundles, unpackLimits, registry, clusterSeeds);
  }

  /** The same over any instance host (tests run one in memory). */
  static NodeInvoker open(
      Vertx vertx, InvokerSettings settings, InstanceHost host, BundleSource bundles, UnpackLimits unpackLimits,
      MeterRegistry registry) {
    return new NodeInvoker(vertx, settings, host, bundles, unpackLimits, registry, new LocalSeedDirectory());
  }

  /** Fork edges of flows, run on this node's instances ({@link KeptInstances}). */
  public ForkedStepStarter forkedSteps() {
    return kept;
  }

  @Override
  public Future<CallResult> call(Call call) {
    Promise<CallResult> promise = Promise.promise();
    loop.run(() -> pools.submit(call, promise));
    return promise.future();
  }

  /**
   * A function was written or deleted (empty) anywhere in the cluster: its seed and idle instances
   * on this node are retired now rather than at the next call. Safe from any thread.
   */
  public void fnChanged(String fnId, Optional<Fn> now) {
    loop.later(() -> pools.fnChanged(fnId, now.orElse(null)));
  }

  /** The bundles unpacked on this node, for the node to collect those no function uses any more. */
  public BundleCopies unpackedBundles() {
    return code;
  }

  /** This node's memory and instances as last counted, for the cluster's directory. Safe from any thread. */
  public NodeLoad load() {
    return pools.load();
  }

  @Override
  public Future<Void> submitDetached(Call call) {
    return detached.add(call);
  }

  /**
   * Starts running queued detached calls (those a previous run left first), each through {@code
   * router}, which may run it on another member, unless this node already recorded it as completed
   * (it ran here, then the process died before the queue let go of it).
   */
  public void resumeDetached(FunctionInvoker router) {
    detached.start(call -> completedHere(call.id())
        .compose(done -> done.isPresent() ? Future.succeededFuture() : router.runDetached(call)));
  }

  @Override
  public Future<CallResult> runDetached(Call call) {
    Promise<CallResult> answer = Promise.promise();
    loop.run(() -> {
      Future<CallResult> run = detachedRunning.get(call.id());
      if (run == null) {
        run = loop.here(completedHere(call.id()).compose(done -> done.isPresent()
            ? Future.succeededFuture(recordedAnswer(done.get())) : runAndRecord(call)));
        detachedRunning.put(call.id(), run);
        run.onComplete(ar -> detachedRunning.remove(call.id()));
      }
      run.onComplete(answer);
    });
    return answer.future();
  }

  /** The record of a call that ran here (whatever its outcome); a call refused for capacity never ran. */
  private Future<Optional<Activation>> completedHere(String callId) {
    return get(callId).map(a -> a.filter(recorded -> !"rejected".equals(recorded.status())));
  }

  /** What a delivery of a call that already completed here answers: its recorded status, no body (not kept). */
  private static CallResult recordedAnswer(Activation a) {
    return new CallResult(a.httpStatus(), Map.of(), Buffer.buffer(), a.startMode(), a.node());
  }

  /** Runs the call, then syncs its activation to disk before answering, whatever the outcome. */
  private Future<CallResult> runAndRecord(Call call) {
    Future<CallResult> ran = call(call);
    return ran.transform(x -> onLoop(() -> pools.recorded(call.id())))
        .compose(v -> activations.sync())
        .transform(synced -> synced.succeeded() ? ran
            // Unrecorded, the run would be forgotten: the queue keeps the call (it may run again).
            : Future.failedFuture(new ApiError(503, "the run of call " + call.id() + " could not be recorded: "
                + Causes.message(synced.cause()), 1)));
  }

  @Override
  public Future<List<Activation>> list(ActivationQuery query) {
    return onLoop(pools::allRecorded).compose(v -> activations.list(query));
  }

  @Override
  public Future<Optional<Activation>> get(String id) {
    return onLoop(() -> pools.recorded(id)).compose(v -> activations.get(id));
  }

  @Override
  public Future<Optional<String>> logs(String id) {
    return onLoop(() -> pools.recorded(id)).compose(v -> activations.logs(id));
  }

  /** Waits (bounded) on the loop for activations still being assembled, so a read sees its own call. */
  private Future<Void> onLoop(java.util.function.Supplier<Future<Void>> wait) {
    Promise<Void> p = Promise.promise();
    loop.later(() -> wait.get().timeout(READ_WAIT_MS, TimeUnit.MILLISECONDS).onComplete(ar -> p.complete()));
    return p.future();
  }

  /** Lets running detached calls finish, stops every instance and seed, closes the stores. Blocking. */
  @Override
  public void close() {
    detached.close();
    Promise<Void> stopped = Promise.promise();
    loop.later(() -> {
      kept.close();
      pools.close().onComplete(ar -> stopped.complete());
    });
    try {
      stopped.future().await(15, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // forkd did not confirm in time; it stops the instances it still holds when it exits.
    }
    client.close();
    activations.close();
  }
}
