package io.cleave.gateway;

import io.cleave.common.activation.ActivationLog;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.invoke.FnActivities;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.json.Json;
import io.cleave.common.flow.FlowRuns;
import io.cleave.registry.AppRegistry;
import io.cleave.registry.FlowRegistry;
import io.cleave.registry.FnRegistry;
import io.cleave.registry.KeyRegistry;
import io.cleave.registry.TriggerRegistry;
import io.cleave.registry.bundle.BundleFiles;
import io.cleave.registry.cluster.Membership;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
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
   * without an invoker: invoke routes then answer 503, as do flow runs ({@code flowRuns} null). {@code invoker} takes the clients' calls
   * (and may forward them to another member); {@code localInvoker} runs calls other members
   * forwarded here, on this node; {@code activities} (null without an invoker) tells the console what
   * a function does on this node. {@code keys} are the API keys requests are checked against.
   */
  public record Parts(ServerConfig config, AppRegistry apps, FnRegistry fns, TriggerRegistry triggers,
      KeyRegistry keys, BundleFiles bundles, Membership membership, FunctionInvoker invoker, FunctionInvoker localInvoker,
      ActivationLog activations, FnActivities activities, PrometheusMeterRegistry metrics, String version, FlowRegistry flows, FlowRuns flowRuns) {}

  private final Vertx vertx;
  private final List<String> deployments;
  private final int port;

  private Gateway(Vertx vertx, List<String> deployments, int port) {
    this.vertx = vertx;
    this.deployments = deployments;
    this.port = port;
  }

  /**
   * Starts the API and publishes its URL to the cluster. On port 0 with several instances, the
   * others join the first one's port with SO_REUSEPORT, which needs Vert.x's native transport.
   */
  public static Future<Gateway> start(Vertx vertx, Parts parts) {
    ErrorPathClasses.loadNow();
    HttpMetrics httpMetrics = new HttpMetrics(parts.metrics());
    ServerConfig cfg = parts.config();
    ConnectionCaps caps = new ConnectionCaps(cfg.httpEdge().effectiveMaxConnections(),
        cfg.httpEdge().maxConnectionsPerClient(), parts.metrics());
    if (cfg.port() != 0) {
      // Vert.x shares one listening socket among instances asking for the same host:port.
      Promise<Integer> bound = Promise.promise();
      return vertx.deployVerticle(() -> new ApiVerticle(parts, httpMetrics, caps, cfg.port(), false, bound),
              new DeploymentOptions().setInstances(cfg.httpInstances()))
          .compose(id -> bound.future().map(port -> new Gateway(vertx, List.of(id), port)))
          .compose(g -> published(vertx, parts, g));
    }
    // Port 0: the first instance lets the kernel choose; the others join that port with SO_REUSEPORT.
    List<String> ids = new ArrayList<>();
    Promise<Integer> firstPort = Promise.promise();
    return vertx.deployVerticle(new ApiVerticle(parts, httpMetrics, caps, 0, true, firstPort))
        .compose(id -> {
          ids.add(id);
          return firstPort.future();
        })
        .compose(port -> {
          if (cfg.httpInstances() == 1) {
            return Future.succeededFuture(new Gateway(vertx, ids, port));
          }
          return vertx.deployVerticle(() -> new ApiVerticle(parts, httpMetrics, caps, port, true, Promise.promise()),
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
      parts.membership().publish(url);
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

  /**
   * Every route, in the order they match: body limits before the routes that read bodies. Each
   * says who may use it (README "Access control").
   */
  static Router router(Vertx vertx, Parts parts, HttpMetrics httpMetrics, ConnectionGuard guard) {
    ServerConfig cfg = parts.config();
    Routing routing = new Routing(vertx, cfg, httpMetrics, new Access(parts.keys(), cfg.adminKey()));
    Router r = routing.newRouter();
    r.route().handler(guard::request);
    r.route().handler(QueryCheck::handle);
    // Health checks and version probes need no key and show nothing of any tenant.
    routing.on(r, HttpMethod.GET, "/", new Rule.Open(), ctx -> Replies.json(ctx, 200,
        Json.MAPPER.createObjectNode().put("hello", "world!").put("goto", "cleave")));
    routing.on(r, HttpMethod.GET, "/version", new Rule.Open(), ctx -> Replies.json(ctx, 200,
        Json.MAPPER.createObjectNode().put("version", parts.version())));
    // Metrics name functions and nodes: admin keys, or a metrics key for a scraper. Writing every
    // meter out takes a while: on a worker, so no event loop waits for it.
    routing.on(r, HttpMethod.GET, "/metrics", new Rule.Scrape(), ctx -> routing.blocking(ctx, parts.metrics()::scrape,
        text -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(text)));

    routing.bodyLimit(r, "/v2/*", cfg.apiBodyLimit());
    new AppsRoutes(routing, parts.apps()).mount(r);
    FnsRoutes fns = new FnsRoutes(routing, parts.fns(), parts.apps(), parts.bundles());
    fns.mount(r);
    new TriggersRoutes(routing, parts.triggers(), parts.apps()).mount(r);

    routing.bodyLimit(r, "/invoke/*", cfg.invokeBodyLimit());
    routing.bodyLimit(r, "/t/*", cfg.invokeBodyLimit());
    new CallRoutes(routing, parts.apps(), parts.fns(), parts.triggers(), parts.invoker()).mount(r);
    new EndpointRoutes(routing, parts.apps(), parts.fns()).mount(r);
    routing.bodyLimit(r, "/cleave/v1/internal/*", cfg.invokeBodyLimit());
    new InternalCallRoutes(routing, parts.fns(), parts.localInvoker(), cfg.clusterSecret()).mount(r);

    new BundlesRoutes(routing, parts.fns(), fns, parts.bundles()).mount(r);
    new ClusterRoutes(routing, parts.membership()).mount(r);
    new ActivationsRoutes(routing, parts.activations(), parts.fns()).mount(r);
    routing.bodyLimit(r, "/cleave/v1/keys", cfg.apiBodyLimit());
    new KeyRoutes(routing, parts.keys(), parts.apps()).mount(r);
    new FlowsRoutes(routing, parts.flows(), parts.apps(), parts.flowRuns()).mount(r);
    new FlowRunsRoutes(routing, parts.flowRuns()).mount(r);
    new ActivityRoutes(routing, parts.fns(), parts.activities()).mount(r);
    new ConsoleRoutes(routing).mount(r);
    routing.answerTheRest(r);
    return r;
  }

  private static final class ApiVerticle extends VerticleBase {
    private final Parts parts;
    private final HttpMetrics httpMetrics;
    private final ConnectionCaps caps;
    private final int port;
    private final boolean reusePort;
    private final Promise<Integer> bound;

    ApiVerticle(Parts parts, HttpMetrics httpMetrics, ConnectionCaps caps, int port, boolean reusePort,
        Promise<Integer> bound) {
      this.parts = parts;
      this.httpMetrics = httpMetrics;
      this.caps = caps;
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
          .setReusePort(reusePort)
          // HTTP/1.1 only (Fn's API): the guard times one exchange at a time per connection.
          .setHttp2ClearTextEnabled(false)
          // The API serves no WebSocket: without compression offered, no extension handler sits in
          // every connection's pipeline, looking at each request.
          .setPerFrameWebSocketCompressionSupported(false)
          .setPerMessageWebSocketCompressionSupported(false);
      ConnectionGuard guard = new ConnectionGuard(vertx, parts.config().httpEdge(), caps);
      return vertx.createHttpServer(options)
          .connectionHandler(guard::accept)
          .requestHandler(router(vertx, parts, httpMetrics, guard))
          .listen()
          .onSuccess((HttpServer s) -> bound.tryComplete(s.actualPort()))
          .onFailure(t -> bound.tryFail(new IllegalStateException(
              "cannot listen on " + parts.config().host() + ":" + port + ": " + t.getMessage(), t)))
          .recover(t -> Future.failedFuture(new IllegalStateException(
              "cannot listen on " + parts.config().host() + ":" + port + ": " + t.getMessage(), t)));
    }
  }
}
