package io.cleave.client;

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
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.UUID;

/**
 * Function calls as the benchmarks and replay time them: through the gateway
 * ({@code POST /invoke/{fn_id}}, many at once on pooled keep-alive connections), or straight to an
 * instance's unix socket ({@code POST /call}, Fn's http-stream contract, the way the invoker sends
 * it). Latency runs from sending the request to having the whole answer, timed on the event loop
 * that handles the answer, so no connection setup and no thread hand-off is timed. Everything
 * else the benchmarks ask of the platform goes through {@link PlatformClient}.
 */
public final class TimedCalls implements AutoCloseable {
  /** Headers the gateway sets on every invoke answer. */
  public static final String START_MODE_HEADER = "Cleave-Start-Mode";
  public static final String CALL_ID_HEADER = "Fn-Call-Id";
  /** The node that ran the call (a cluster member may forward a call it cannot take). */
  public static final String NODE_HEADER = "Cleave-Node";
  private static final long DIRECT_TIMEOUT_MS = 60_000;

  /** One answered call; {@code startMode}, {@code callId} and {@code node} are null for direct calls. */
  public record Answer(double latencyMs, int status, String startMode, String callId, String node, Buffer body) {
    public boolean ok() {
      return status / 100 == 2;
    }

    /** Why a call failed: the server's {@code message}, else the start of the body. */
    public String failure() {
      byte[] bytes = body.getBytes();
      return PlatformClient.serverMessage(bytes).orElseGet(() -> {
        String s = body.toString();
        return s.length() > 200 ? s.substring(0, 200) : s;
      });
    }
  }

  private final String prefix;
  private final String authorization;
  private final HttpClientAgent tcp;
  private final HttpClientAgent unix;

  /**
   * Up to {@code connections} calls in flight on each path; more wait for a connection. Calls
   * through the gateway carry {@code apiKey} (an invoke key of the function's app or better).
   */
  public TimedCalls(Vertx vertx, URI gateway, int connections, String apiKey) {
    this.authorization = "Bearer " + apiKey;
    if (gateway.getHost() == null || gateway.getScheme() == null) {
      throw new IllegalArgumentException("not an http URL: " + gateway);
    }
    boolean https = "https".equals(gateway.getScheme());
    this.prefix = gateway.getPath() == null ? "" : gateway.getPath().replaceAll("/+$", "");
    this.tcp = vertx.createHttpClient(new HttpClientOptions()
            .setDefaultHost(gateway.getHost())
            .setDefaultPort(gateway.getPort() > 0 ? gateway.getPort() : https ? 443 : 80)
            .setSsl(https)
            .setKeepAlive(true)
            .setTcpNoDelay(true)
            .setConnectTimeout(10_000),
        new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
    this.unix = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(connections));
  }

  /** A call through the gateway with a JSON body; fails only when no answer came (refused, reset, {@code timeoutMs}). */
  public Future<Answer> invoke(String fnId, Buffer body, long timeoutMs) {
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setURI(prefix + "/invoke/" + PlatformClient.segment(fnId))
        .setTimeout(timeoutMs)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.AUTHORIZATION, authorization);
    return send(tcp, options, body);
  }

  /** The same call sent straight to an instance's listener socket, as the invoker would. */
  public Future<Answer> direct(Path socket, Buffer body) {
    MultiMap headers = HttpHeaders.headers()
        .set(HttpHeaders.CONTENT_TYPE, "application/json")
        .set("Fn-Call-Id", "bench-" + UUID.randomUUID())
        .set("Fn-Deadline", DateTimeFormatter.ISO_INSTANT.format(Instant.now().plusSeconds(30)));
    RequestOptions options = new RequestOptions()
        .setServer(SocketAddress.domainSocketAddress(socket.toString()))
        .setMethod(HttpMethod.POST)
        .setHost("localhost")
        .setURI("/call")
        .setTimeout(DIRECT_TIMEOUT_MS)
        .setHeaders(headers);
    return send(unix, options, body);
  }

  private static Future<Answer> send(HttpClientAgent client, RequestOptions options, Buffer body) {
    long t0 = System.nanoTime();
    // body() completes on the event loop as the last byte arrives: that is where the clock stops. It is
    // asked for inside the send's continuation: chained after it instead, the caller's future can hang
    // (Vert.x 5.0.5 race, eclipse-vertx/vert.x#6038).
    return client.request(options)
        .compose(req -> req.send(body).compose(resp -> resp.body().map(b -> answer(resp, b, t0))));
  }

  private static Answer answer(HttpClientResponse resp, Buffer body, long t0) {
    double ms = (System.nanoTime() - t0) / 1e6;
    return new Answer(ms, resp.statusCode(), resp.getHeader(START_MODE_HEADER), resp.getHeader(CALL_ID_HEADER),
        resp.getHeader(NODE_HEADER), body);
  }

  @Override
  public void close() {
    tcp.close();
    unix.close();
  }
}
