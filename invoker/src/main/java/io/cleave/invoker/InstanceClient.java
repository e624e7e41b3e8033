package io.cleave.invoker;

import io.cleave.common.invoke.Call;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sends calls to instances: HTTP/1.1 {@code POST /call} on the instance's unix-socket listener
 * (Fn's http-stream FDK contract). One pooled keep-alive client serves every instance; Vert.x keeps
 * a connection pool per socket address, so each instance has its own pool of connections.
 */
final class InstanceClient {
  /** What came back from one dispatch. */
  sealed interface Outcome permits Answered, TimedOut, Broken, TooLarge {}

  /** The instance answered (any status). */
  record Answered(int status, Map<String, List<String>> headers, Buffer body) implements Outcome {}

  /** The deadline passed before the answer was complete; the request was abandoned. */
  record TimedOut() implements Outcome {}

  /**
   * The connection failed or broke (instance dead, reset, refused). {@code delivered} is false when
   * no connection could be made, so the function cannot have seen the call.
   */
  record Broken(String reason, boolean delivered) implements Outcome {}

  /** The answer grew past the node's response limit; the request was abandoned. */
  record TooLarge(long limit) implements Outcome {}

  /** Headers the client sets itself or that describe the gateway's connection, never forwarded. */
  private static final Set<String> NOT_FORWARDED =
      Set.of("host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
          "fn-call-id", "fn-deadline");

  /** A second's date and time of day in RFC 3339 (without the zone): deadlines of that second start with it. */
  private record DeadlineSecond(long epochSecond, String text) {}

  private final Vertx vertx;
  private final HttpClient client;
  /** The last deadline second formatted (calls may come from more than one thread: replaced whole). */
  private volatile DeadlineSecond lastSecond;
  private final long maxResponseBytes;

  InstanceClient(Vertx vertx, long maxResponseBytes) {
    this.vertx = vertx;
    this.maxResponseBytes = maxResponseBytes;
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setKeepAlive(true)
                .setKeepAliveTimeout(30)
                .setPipelining(false)
                .setTcpNoDelay(true),
            // The invoker bounds calls per instance itself; the pool must never be what queues them.
            new PoolOptions().setHttp1MaxSize(256).setCleanerPeriod(5000));
  }

  /** Sends the call to the instance listening on {@code listener}; never fails, see {@link Outcome}. */
  Future<Outcome> dispatch(String listener, Call call, Instant deadline) {
    long budgetMs = Math.max(1, deadline.toEpochMilli() - System.currentTimeMillis());
    MultiMap headers = HttpHeaders.headers();
    call.headers().forEach((name, values) -> {
      if (!NOT_FORWARDED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        headers.add(name, values);
      }
    });
    headers.set("Fn-Call-Id", call.id());
    headers.set("Fn-Deadline", deadlineText(deadline));
    if (!headers.contains(HttpHeaders.CONTENT_TYPE)) {
      headers.set(HttpHeaders.CONTENT_TYPE, "application/octet-stream");
    }
    RequestOptions options =
        new RequestOptions()
            .setServer(SocketAddress.domainSocketAddress(listener))
            .setMethod(HttpMethod.POST)
            .setHost("localhost")
            .setURI("/call")
            .setHeaders(headers);

    Promise<Outcome> outcome = Promise.promise();
    HttpClientRequest[] sent = new HttpClientRequest[1];
    long timer =
        vertx.setTimer(
            budgetMs,
            t -> {
              if (outcome.tryComplete(new TimedOut()) && sent[0] != null) {
                sent[0].reset();
              }
            });
    client
        .request(options)
        .onFailure(e -> outcome.tryComplete(new Broken(describe(e), false)))
        .onSuccess(
            request -> {
              sent[0] = request;
              if (outcome.future().isComplete()) {
                request.reset();
                return;
              }
              request
                  .send(call.body())
                  .onFailure(e -> outcome.tryComplete(new Broken(describe(e), true)))
                  .onSuccess(response -> readAnswer(response, request, outcome));
            });
    return outcome.future().onComplete(done -> vertx.cancelTimer(timer));
  }

  /**
   * The deadline in RFC 3339 to the millisecond, as {@link DateTimeFormatter#ISO_INSTANT} writes it;
   * the date and time of day are formatted once a second, not per call.
   */
  String deadlineText(Instant deadline) {
    long second = deadline.getEpochSecond();
    DeadlineSecond cached = lastSecond;
    if (cached == null || cached.epochSecond() != second) {
      String whole = DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(second));
      cached = new DeadlineSecond(second, whole.substring(0, whole.length() - 1)); // without its Z
      lastSecond = cached;
    }
    int millis = deadline.getNano() / 1_000_000;
    if (millis == 0) {
      return cached.text() + "Z";
    }
    StringBuilder sb = new StringBuilder(cached.text().length() + 5).append(cached.text()).append('.');
    if (millis < 100) {
      sb.append('0');
    }
    if (millis < 10) {
      sb.append('0');
    }
    return sb.append(millis).append('Z').toString();
  }

  /**
   * Opens a pooled connection to the instance ahead of its first call with {@code GET /ready}, which
   * the runtime answers 404 without running the function; failures are left to the call.
   */
  void warmUp(String listener) {
    client.request(new RequestOptions().setServer(SocketAddress.domainSocketAddress(listener))
            .setMethod(HttpMethod.GET).setHost("localhost").setURI("/ready"))
        .compose(request -> request.send().compose(HttpClientResponse::body));
  }

  private void readAnswer(HttpClientResponse response, HttpClientRequest request, Promise<Outcome> outcome) {
    Buffer body = Buffer.buffer();
    response.exceptionHandler(e -> outcome.tryComplete(new Broken(describe(e), true)));
    response.handler(
        chunk -> {
          if (outcome.future().isComplete()) {
            return;
          }
          if (body.length() + chunk.length() > maxResponseBytes) {
            outcome.tryComplete(new TooLarge(maxResponseBytes));
            request.reset();
            return;
          }
          body.appendBuffer(chunk);
        });
    response.endHandler(v -> outcome.tryComplete(new Answered(response.statusCode(), headersOf(response), body)));
  }

  private static Map<String, List<String>> headersOf(HttpClientResponse response) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : response.headers()) {
      out.computeIfAbsent(e.getKey(), k -> new ArrayList<>(1)).add(e.getValue());
    }
    return out;
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  void close() {
    client.close();
  }
}
