package io.cleave.invoker;

import io.cleave.common.activation.Activation;
import io.cleave.common.activation.ActivationLog;
import io.cleave.common.activation.ActivationQuery;
import io.cleave.common.bundle.BundleSource;
import io.cleave.common.bundle.TarGzUnpacker;
import io.cleave.common.bundle.UnpackLimits;
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
import java.util.List;
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

  private NodeInvoker(
      Vertx vertx, InvokerSettings settings, InstanceHost host, BundleSource bundles, UnpackLimits unpackLimits,
      MeterRegistry registry, SeedDirectory clusterSeeds) {
    // A fresh event-loop context when opened outside Vert.x: all pool state lives on it.
    this.loop = new InvokerLoop(vertx.getOrCreateContext());
    InvokerMetrics metrics = new InvokerMetrics(registry);
    this.client = new InstanceClient(vertx, settings.maxResponseBytes());
    this.activations = ActivationStore.open(vertx, settings.dataDir().resolve("activations"),
        new ActivationStore.Retention(settings.activationMaxAge(), settings.activationMaxRecords()));
    this.detached = DetachedQueue.open(vertx, settings.dataDir().resolve("queue"), settings.detachedParallelism());
    FunctionCode code = new FunctionCode(vertx, bundles, new TarGzUnpacker(unpackLimits),
        settings.dataDir().resolve("unpacked"));
    this.pools = new InstancePools(vertx, loop, settings, host, client, code, metrics, activations, clusterSeeds);
    metrics.queueDepthGauge(detached::depth);
    detached.start(this::call);
  }

  /**
   * Opens the invoker's stores under the data directory and starts resuming queued detached calls.
   * Blocking (RocksDB); call from the composition's main thread, not from an event loop.
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

  /** This node's memory and instances as last counted, for the cluster's directory. Safe from any thread. */
  public NodeLoad load() {
    return pools.load();
  }

  @Override
  public Future<Void> submitDetached(Call call) {
    return detached.add(call);
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
    loop.later(() -> pools.close().onComplete(ar -> stopped.complete()));
    try {
      stopped.future().await(15, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // forkd did not confirm in time; it stops the instances it still holds when it exits.
    }
    client.close();
    activations.close();
  }
}
