package io.cleave.gateway;

import io.cleave.common.activation.ActivationLog;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.registry.bundle.BundleStore;
import io.cleave.registry.Registry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * The external HTTP API: Fn v2 management routes, invoke and trigger routes, Cleave's
 * {@code /cleave/v1} additions and {@code /metrics}. Runs {@link ServerConfig#httpInstances()}
 * server instances sharing one port, one per event loop.
 */
public final class Gateway {

  /**
   * What the gateway serves from. {@code invoker} and {@code activations} may be null on a node
   * without an invoker: invoke routes then answer 503.
   */
  public record Parts(ServerConfig config, Registry registry, BundleStore bundles, FunctionInvoker invoker,
      ActivationLog activations, PrometheusMeterRegistry metrics, String version) {}

  private final Vertx vertx;
  private final List<String> deployments;
  private final int port;

  private Gateway(Vertx vertx, List<String> deployments, int port) {
    this.vertx = vertx;
    this.deployments = deployments;
    this.port = port;
  }

  public static Future<Gateway> start(Vertx vertx, Parts parts) {
    HttpMetrics httpMetrics = new HttpMetrics(parts.metrics());
    ServerConfig cfg = parts.config();
    if (cfg.port() != 0) {
      // Vert.x shares one listening socket among instances asking for the same host:port.
      Promise<Integer> bound = Promise.promise();
      return vertx.deployVerticle(() -> new ApiVerticle(parts, httpMetrics, cfg.port(), false, bound),
              new DeploymentOptions().setInstances(cfg.httpInstances()))
          .compose(id -> bound.future().map(port -> new Gateway(vertx, List.of(id), port)))
          .compose(g -> published(vertx, parts, g));
    }
    // Port 0: the first instance lets the kernel choose; the others join that port with SO_REUSEPORT.
    List<String> ids = new ArrayList<>();
    Promise<Integer> firstPort = Promise.promise();
    return vertx.deployVerticle(new ApiVerticle(parts, httpMetrics, 0, true, firstPort))
        .compose(id -> {
          ids.add(id);
          return firstPort.future();
        })
        .compose(port -> {
          if (cfg.httpInstances() == 1) {
            return Future.succeededFuture(new Gateway(vertx, ids, port));
          }
          return vertx.deployVerticle(() -> new ApiVerticle(parts, httpMetrics, port, true, Promise.promise()),
                  new DeploymentOptions().setInstances(cfg.httpInstances() - 1))
              .map(id -> {
                ids.add(id);
                return new Gateway(vertx, ids, port);
              });
        })
        .compose(g -> published(vertx, parts, g));
  }

  /** Tells the other members where this one serves its API. */
  private static Future<Gateway> published(Vertx vertx, Parts parts, Gateway gateway) {
    String url = parts.config().apiUrl(gateway.port());
    return vertx.executeBlocking(() -> {
      parts.registry().membership().publish(url);
      return gateway;
    });
  }

  /** The port the API listens on (the chosen one when configured as 0). */
  public int port() {
    return port;
  }

  public Future<Void> stop() {
    List<Future<Void>> all = new ArrayList<>();
    for (String id : deployments) {
      all.add(vertx.undeploy(id));
    }
    return Future.all(all).mapEmpty();
  }

  private static final class ApiVerticle extends VerticleBase {
    private final Parts parts;
    private final HttpMetrics httpMetrics;
    private final int port;
    private final boolean reusePort;
    private final Promise<Integer> bound;

    ApiVerticle(Parts parts, HttpMetrics httpMetrics, int port, boolean reusePort, Promise<Integer> bound) {
      this.parts = parts;
      this.httpMetrics = httpMetrics;
      this.port = port;
      this.reusePort = reusePort;
      this.bound = bound;
    }

    @Override
    public Future<?> start() {
      HttpServerOptions options = new HttpServerOptions()
          .setHost(parts.config().host())
          .setPort(port)
          .setTcpNoDelay(true)
          .setReuseAddress(true)
          .setReusePort(reusePort);
      return vertx.createHttpServer(options)
          .requestHandler(new Routes(vertx, parts, httpMetrics).router())
          .listen()
          .onSuccess((HttpServer s) -> bound.tryComplete(s.actualPort()))
          .onFailure(t -> bound.tryFail(new IllegalStateException(
              "cannot listen on " + parts.config().host() + ":" + port + ": " + t.getMessage(), t)))
          .recover(t -> Future.failedFuture(new IllegalStateException(
              "cannot listen on " + parts.config().host() + ":" + port + ": " + t.getMessage(), t)));
    }
  }
}
