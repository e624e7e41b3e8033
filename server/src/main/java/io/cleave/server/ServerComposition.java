package io.cleave.server;

import io.cleave.common.config.ServerConfig;
import io.cleave.flows.FlowEngine;
import io.cleave.gateway.Gateway;
import io.cleave.registry.bundle.BundleStore;
import io.cleave.registry.Registry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

/**
 * One Cleave server process: registry (Hazelcast member + RocksDB), bundle store, gateway, and
 * the node's execution side when a factory for it is given. Without one, invoke routes answer
 * 503 "no invoker on this node".
 */
public final class ServerComposition implements AutoCloseable {
  private final Vertx vertx;
  private final Registry registry;
  private final Gateway gateway;
  private final Execution execution;
  private final ServerConfig config;
  private final BundleStore bundles;
  private final BundleCollector bundleCollector;
  private final BundleReplicas bundleReplicas;
  private final FlowEngine flows;
  private boolean closed;

  private ServerComposition(ServerConfig config, Vertx vertx, Registry registry, Gateway gateway, Execution execution,
      BundleStore bundles, BundleCollector bundleCollector, BundleReplicas bundleReplicas, FlowEngine flows) {
    this.bundleReplicas = bundleReplicas;
    this.flows = flows;
    this.config = config;
    this.bundles = bundles;
    this.bundleCollector = bundleCollector;
    this.vertx = vertx;
    this.registry = registry;
    this.gateway = gateway;
    this.execution = execution;
  }

  /** Starts everything and returns once the API is listening. Blocking. */
  public static ServerComposition start(ServerConfig cfg, Execution.Factory executionFactory, String version)
      throws Exception {
    Path data = cfg.dataDir().toAbsolutePath().normalize();
    Files.createDirectories(data);
    // Function config (secrets), bundles, logs and forkd's socket are inside: the owner's alone.
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
    ServerConfig config = new ServerConfig(cfg.host(), cfg.port(), data, cfg.clusterName(), cfg.clusterHost(),
        cfg.clusterPort(), cfg.members(), cfg.invokeBodyLimit(), cfg.apiBodyLimit(), cfg.bundleLimit(),
        cfg.unpackLimits(), cfg.httpInstances(), cfg.clusterSecret(), cfg.bundleStorage(), cfg.httpEdge(), cfg.adminKey());
    BundleStore bundles = new BundleStore(data, config.unpackLimits());
    Registry registry = Registry.open(config, bundles);
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    Execution execution = null;
    FlowEngine flows = null;
    try {
      PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Platform platform = new Platform(vertx, config, registry, bundles, metrics);
      execution = executionFactory == null ? null
          : executionFactory.start(platform).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      // Flow runs call functions as clients do (here, or on a member with room); fork edges run on this node.
      flows = execution == null ? null
          : FlowEngine.open(vertx, data, execution.invoker(), execution.forkedSteps(), registry, registry);
      Gateway gateway = Gateway.start(vertx, new Gateway.Parts(config, registry, registry, registry, registry.apiKeys(), bundles,
              registry.membership(), execution == null ? null : execution.invoker(),
              execution == null ? null : execution.localInvoker(),
              execution == null ? null : execution.activations(),
              execution == null ? null : execution.activities(), metrics, version, registry, flows))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      bundles.share(vertx, registry.hazelcast(), config.apiUrl(gateway.port()), config.bundleLimit(),
          registry.apiKeys().memberToken());
      BundleCollector collector = new BundleCollector(vertx, registry::referencedBundles, bundles,
          config.bundleStorage().unreferencedGrace());
      BundleReplicas replicas = new BundleReplicas(vertx, bundles, registry.membership(), registry::referencedBundles);
      return new ServerComposition(config, vertx, registry, gateway, execution, bundles, collector, replicas, flows);
    } catch (Exception | Error e) {
      if (flows != null) {
        flows.close();
      }
      if (execution != null && execution.stop() != null) {
        execution.stop().get().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      registry.close();
      throw e;
    }
  }

  public int port() {
    return gateway.port();
  }

  /** The API's base URL, e.g. {@code http://127.0.0.1:8080}. */
  public String url() {
    return "http://" + config.host() + ":" + port();
  }

  public ServerConfig config() {
    return config;
  }

  public Registry registry() {
    return registry;
  }

  public BundleStore bundles() {
    return bundles;
  }

  /** Stops taking requests, stops the execution side, then closes the registry. Blocking. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    bundleCollector.close();
    bundleReplicas.close();
    try {
      gateway.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      if (flows != null) {
        flows.close();
      }
      if (execution != null && execution.stop() != null) {
        execution.stop().get().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("cleave: shutdown: " + e.getMessage());
    } finally {
      registry.close();
    }
  }
}
