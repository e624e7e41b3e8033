package io.cleave.forkd;

import io.cleave.common.error.ApiError;
import io.cleave.common.json.WireJson;
import io.cleave.forkd.api.StartRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The RPC of docs/CONTRACTS.md ("invoker → forkd") on forkd's unix socket. */
final class ForkdServer {
  private static final Logger LOG = Logger.getLogger("forkd.http");
  private static final int MAX_BODY = 4 << 20;

  private final Forkd forkd;
  private final WorkerExecutor workers;
  private final long logLimit;

  private ForkdServer(Forkd forkd, WorkerExecutor workers, long logLimit) {
    this.forkd = forkd;
    this.workers = workers;
    this.logLimit = logLimit;
  }

  /** Serves on {@code socket}; every forkd operation runs on a worker (they block on processes and files). */
  static Future<HttpServer> listen(Vertx vertx, Forkd forkd, Path socket, long logLimit) {
    // Starts wait for instances to become ready: size for many concurrent starts.
    WorkerExecutor workers = vertx.createSharedWorkerExecutor("forkd-work", 128, 10, TimeUnit.MINUTES);
    ForkdServer server = new ForkdServer(forkd, workers, logLimit);
    Router router = Router.router(vertx);
    router.get("/v1/health").handler(ctx -> server.json(ctx, 200, forkd::health));
    router.get("/v1/stats").handler(ctx -> server.json(ctx, 200, forkd::stats));
    router.post("/v1/instances").handler(BodyHandler.create().setBodyLimit(MAX_BODY))
        .handler(ctx -> server.json(ctx, 200, () -> forkd.start(server.startRequest(ctx))));
    router.get("/v1/instances/:id").handler(ctx -> server.json(ctx, 200, () -> forkd.status(ctx.pathParam("id"))));
    router.delete("/v1/instances/:id").handler(ctx -> server.json(ctx, 204, () -> {
      forkd.delete(ctx.pathParam("id"));
      return null;
    }));
    router.get("/v1/instances/:id/logs").handler(server::logs);
    router.route().last().handler(ctx -> error(ctx, new ApiError(404, "no such forkd endpoint: "
        + ctx.request().method() + " " + ctx.request().path())));
    return vertx.createHttpServer().requestHandler(router)
        .listen(SocketAddress.domainSocketAddress(socket.toString()));
  }

  private StartRequest startRequest(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw new ApiError(400, "a JSON start request is required");
    }
    return WireJson.read(body.toString(), StartRequest.class);
  }

  private void logs(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String raw = ctx.request().getParam("offset", "0");
    long offset;
    try {
      offset = Long.parseLong(raw);
    } catch (NumberFormatException e) {
      error(ctx, new ApiError(400, "offset must be a byte offset, got '" + raw + "'"));
      return;
    }
    if (offset < 0) {
      error(ctx, new ApiError(400, "offset must not be negative"));
      return;
    }
    workers.executeBlocking(() -> RunDirs.readOutput(forkd.logs(id), offset, logLimit), false)
        .onSuccess(bytes -> ctx.response().putHeader("Content-Type", "application/octet-stream")
            .end(Buffer.buffer(bytes)))
        .onFailure(e -> error(ctx, e));
  }

  private void json(RoutingContext ctx, int status, Callable<Object> work) {
    workers.executeBlocking(work, false)
        .onSuccess(answer -> {
          if (answer == null) {
            ctx.response().setStatusCode(status).end();
          } else {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(WireJson.write(answer));
          }
        })
        .onFailure(e -> error(ctx, e));
  }

  private static void error(RoutingContext ctx, Throwable e) {
    int status;
    String message;
    if (e instanceof ApiError api) {
      status = api.status();
      message = api.getMessage();
      if (api.retryAfterSeconds() > 0) {
        ctx.response().putHeader("Retry-After", Integer.toString(api.retryAfterSeconds()));
      }
    } else {
      status = 500;
      message = "forkd failed: " + e;
      LOG.log(Level.WARNING, "request " + ctx.request().method() + " " + ctx.request().path() + " failed", e);
    }
    if (status >= 500) {
      LOG.warning(ctx.request().method() + " " + ctx.request().path() + " -> " + status + ": " + message);
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("message", message).encode());
  }
}
