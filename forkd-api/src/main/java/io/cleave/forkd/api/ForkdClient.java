package io.cleave.forkd.api;

import io.cleave.common.error.ApiError;
import io.cleave.common.json.WireJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;

/**
 * The invoker's side of forkd (docs/CONTRACTS.md): starts, statuses and deletes travel forkd's
 * order channel ({@link OrderChannel}: one persistent connection, binary frames, pipelined), health,
 * stats and logs its HTTP/1.1 + JSON API on the unix socket next to it. Every call answers a
 * Future; a refusal fails it with an {@link ApiError} carrying forkd's status and message. The
 * given Vert.x instance must run the native transport
 * ({@code new VertxOptions().setPreferNativeTransport(true)}): Vert.x needs it for unix sockets.
 */
public final class ForkdClient implements AutoCloseable {
  private final HttpClientAgent http;
  private final SocketAddress server;
  private final OrderChannel orders;

  public ForkdClient(Vertx vertx, Path socket) {
    if (!vertx.isNativeTransportEnabled()) {
      throw new IllegalStateException("forkd client needs Vert.x's native transport for unix sockets: "
          + vertx.unavailableNativeTransportCause());
    }
    this.server = SocketAddress.domainSocketAddress(socket.toAbsolutePath().toString());
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(64));
    this.orders = new OrderChannel(vertx, OrderWire.socketNextTo(socket.toAbsolutePath()));
  }

  public Future<ForkdHealth> health() {
    return get("/v1/health").map(body -> WireJson.read(body.toString(), ForkdHealth.class));
  }

  /** What the node's remote forks and page server did since forkd started counting. */
  public Future<ForkdStats> stats() {
    return get("/v1/stats").map(body -> WireJson.read(body.toString(), ForkdStats.class));
  }

  /** Starts an instance; completes once it is ready (its listener, or a seed's control socket, exists). */
  public Future<StartedInstance> start(StartRequest request) {
    return orders.send(OrderWire.START, request, in -> RecordCodec.read(in, StartedInstance.class));
  }

  public Future<InstanceStatus> status(String instanceId) {
    return orders.send(OrderWire.STATUS, instanceId, in -> RecordCodec.read(in, InstanceStatus.class));
  }

  /** Kills the instance (a seed's children live on) and removes its cgroup and run dir. */
  public Future<Void> delete(String instanceId) {
    return orders.send(OrderWire.DELETE, instanceId, in -> null);
  }

  /** The instance's interleaved stdout and stderr from byte {@code offset} on. */
  public Future<Buffer> logs(String instanceId, long offset) {
    return get("/v1/instances/" + instanceId + "/logs?offset=" + offset);
  }

  private Future<Buffer> get(String uri) {
    RequestOptions options = new RequestOptions().setServer(server).setMethod(HttpMethod.GET).setURI(uri)
        .setHost("forkd").setPort(0);
    // resp.body() is asked for inside the send's continuation, on the connection's event loop:
    // chained after it instead, a caller off the event loop races the response's end and the
    // future can hang (Vert.x 5.0.5, eclipse-vertx/vert.x#6038).
    return http.request(options)
        .compose(req -> req.send().compose(resp -> resp.body().compose(bytes -> answer(resp, bytes))));
  }

  private static Future<Buffer> answer(HttpClientResponse resp, Buffer bytes) {
    if (resp.statusCode() / 100 == 2) {
      return Future.succeededFuture(bytes);
    }
    String message;
    try {
      message = new JsonObject(bytes).getString("message", resp.statusMessage());
    } catch (RuntimeException notJson) {
      message = "forkd answered " + resp.statusCode() + ": " + bytes;
    }
    return Future.failedFuture(new ApiError(resp.statusCode(), message));
  }

  @Override
  public void close() {
    orders.close();
    http.close();
  }
}
