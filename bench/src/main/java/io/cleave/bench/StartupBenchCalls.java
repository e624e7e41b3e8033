package io.cleave.bench;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The benchmark's calls: through the gateway ({@code POST /invoke/{fn_id}} over TCP), or straight
 * to an instance's unix socket ({@code POST /call}, Fn's http-stream contract, the way the invoker
 * sends it). Latency runs from sending the request to having the whole answer, timed on the event
 * loop that handles the answer; keep-alive connections, so no connection setup is timed.
 */
final class StartupBenchCalls implements AutoCloseable {
  static final String START_MODE_HEADER = "Cleave-Start-Mode";
  static final String CALL_ID_HEADER = "Fn-Call-Id";
  private static final long CALL_TIMEOUT_MS = 60_000;

  /** One answered call; {@code startMode} and {@code callId} are null for direct calls. */
  record Answer(double latencyMs, int status, String startMode, String callId, String body) {
    boolean ok() {
      return status == 200;
    }
  }

  private final Vertx vertx;
  private final URI gateway;
  private final HttpClientAgent tcp;
  private final HttpClientAgent unix;

  StartupBenchCalls(Vertx vertx, URI gateway, int connections) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.tcp = vertx.createHttpClient(new HttpClientOptions()
            .setDefaultHost(gateway.getHost())
            .setDefaultPort(gateway.getPort())
            .setKeepAlive(true)
            .setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
    this.unix = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(connections));
  }

  /** A call through the gateway. */
  Future<Answer> invoke(String fnId, String body) {
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setURI(prefix() + "/invoke/" + fnId)
        .setTimeout(CALL_TIMEOUT_MS)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    return send(tcp, options, body);
  }

  /** The same call sent straight to an instance's listener socket, as the invoker would. */
  Future<Answer> direct(Path socket, String body) {
    MultiMap headers = HttpHeaders.headers()
        .set(HttpHeaders.CONTENT_TYPE, "application/json")
        .set("Fn-Call-Id", "bench-" + UUID.randomUUID())
        .set("Fn-Deadline", DateTimeFormatter.ISO_INSTANT.format(Instant.now().plusSeconds(30)));
    RequestOptions options = new RequestOptions()
        .setServer(SocketAddress.domainSocketAddress(socket.toString()))
        .setMethod(HttpMethod.POST)
        .setHost("localhost")
        .setURI("/call")
        .setTimeout(CALL_TIMEOUT_MS)
        .setHeaders(headers);
    return send(unix, options, body);
  }

  /** The activation record of a call, or null when the platform has none (yet). */
  Future<JsonObject> activation(String callId) {
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setURI(prefix() + "/cleave/v1/activations/" + callId)
        .setTimeout(CALL_TIMEOUT_MS);
    return tcp.request(options).compose(req -> req.send().compose(r -> r.body().map(b -> {
      if (r.statusCode() != 200) {
        return null;
      }
      try {
        return new JsonObject(b);
      } catch (DecodeException e) {
        return null;
      }
    })));
  }

  private Future<Answer> send(HttpClientAgent client, RequestOptions options, String body) {
    Buffer payload = Buffer.buffer(body);
    long t0 = System.nanoTime();
    // body() completes on the event loop as the last byte arrives: that is where the clock stops. It is
    // asked for inside the send's continuation: chained after it instead, the caller's future can hang
    // (Vert.x 5.0.5 race, eclipse-vertx/vert.x#6038).
    return client.request(options)
        .compose(req -> req.send(payload).compose(resp -> resp.body().map(b -> answer(resp, b, t0))));
  }

  private static Answer answer(HttpClientResponse resp, Buffer body, long t0) {
    double ms = (System.nanoTime() - t0) / 1e6;
    return new Answer(ms, resp.statusCode(), resp.getHeader(START_MODE_HEADER), resp.getHeader(CALL_ID_HEADER),
        body.toString());
  }

  private String prefix() {
    String p = gateway.getPath();
    return p == null ? "" : p.replaceAll("/+$", "");
  }

  Vertx vertx() {
    return vertx;
  }

  /** Waits for a Vert.x future from a plain (non event-loop) thread. */
  static <T> T await(Future<T> f, long timeoutMs, String what) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalStateException || cause instanceof IllegalArgumentException) {
        throw (RuntimeException) cause;
      }
      // forkd's ApiError and Vert.x's failures carry a message worth showing, not a stack trace
      throw new IllegalStateException(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
    } catch (TimeoutException e) {
      throw new IllegalStateException("no answer within " + timeoutMs + " ms while waiting for " + what);
    }
  }

  @Override
  public void close() {
    tcp.close();
    unix.close();
  }
}
