package io.cleave.server;

import io.cleave.forkd.api.ForkdClient;
import io.cleave.invoker.InvokerSettings;
import io.cleave.invoker.NodeInvoker;
import io.cleave.registry.cluster.Membership;
import io.cleave.scheduler.CallRouting;
import io.cleave.scheduler.HazelcastSeedDirectory;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A node's execution side: forkd as a child process, and the invoker over it. */
public final class NodeExecution {
  private NodeExecution() {}

  /** The same with the standard per-app call limits. */
  public static Execution.Factory factory(InvokerSettings settings, List<String> forkdJvmOptions) {
    return factory(settings, AppCallLimits.Defaults.STANDARD, forkdJvmOptions, Map.of());
  }

  /**
   * Starts forkd (its knobs from this process's environment, then {@code forkdEnv}), then the
   * invoker (blocking, on the composition's thread); stop undoes both. Calls clients make on this
   * node are held to {@code callLimits} per app.
   */
  static Execution.Factory factory(InvokerSettings settings, AppCallLimits.Defaults callLimits,
      List<String> forkdJvmOptions, Map<String, String> forkdEnv) {
    return platform -> {
      ForkdClient client = new ForkdClient(platform.vertx(), ForkdProcess.socketOf(settings.dataDir()));
      ForkdProcess forkd;
      try {
        // Other members restore children of this node's seeds from its page server: it listens where Hazelcast does.
        Map<String, String> env = new java.util.HashMap<>(forkdEnv);
        env.put("CLEAVE_FORKD_PAGESERVER_BIND", platform.config().clusterHost());
        forkd = ForkdProcess.start(settings.dataDir(), settings.cleaveHome(), forkdJvmOptions, env, client);
      } catch (RuntimeException e) {
        client.close();
        return Future.failedFuture(e);
      }
      NodeInvoker invoker;
      HazelcastSeedDirectory seeds = new HazelcastSeedDirectory(platform.registry().hazelcast());
      try {
        invoker = NodeInvoker.open(platform.vertx(), settings, client, platform.bundles(),
            platform.config().unpackLimits(), platform.metrics(), seeds);
      } catch (RuntimeException e) {
        seeds.close();
        forkd.close();
        client.close();
        return Future.failedFuture(e);
      }
      platform.registry().onFnChange(invoker::fnChanged);
      BundleCollector unpackedCollector = new BundleCollector(platform.vertx(), platform.registry()::referencedBundles,
          invoker.unpackedBundles(), platform.config().bundleStorage().unreferencedGrace());
      ForwardingInvoker routed = new ForwardingInvoker(platform.vertx(), invoker, platform.config().clusterSecret());
      // Queued detached calls run where a synchronous call would: here, or on a member with room.
      invoker.resumeDetached(routed);
      // The node's load for the cluster's view (GET /cleave/v1/cluster), and the others' for routing
      // calls when this node is full; the map reads and writes block.
      Membership membership = platform.registry().membership();
      long loadTimer = platform.vertx().setPeriodic(1000, t -> platform.vertx().executeBlocking(() -> {
        membership.publishLoad(invoker.load());
        routed.others(membership.members().stream().filter(m -> !m.local())
            .map(m -> new CallRouting.Candidate(m.apiUrl(), m.load())).toList());
        return null;
      }, false));
      return Future.succeededFuture(new Execution(new AppCallLimits(routed, callLimits), invoker, invoker,
          invoker, invoker.forkedSteps(), () -> Future.fromCompletionStage(
          // Closing blocks (draining detached calls, RocksDB), so it runs on a plain thread, not on Vert.x.
          CompletableFuture.runAsync(() -> {
            platform.vertx().cancelTimer(loadTimer);
            unpackedCollector.close();
            try {
              invoker.close();
            } finally {
              seeds.close();
              routed.close();
              forkd.close();
              client.close();
            }
          }))));
    };
  }
}
