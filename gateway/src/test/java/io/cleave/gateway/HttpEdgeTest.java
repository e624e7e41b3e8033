package io.cleave.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.config.HttpEdgeLimits;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.json.Json;
import io.cleave.common.model.StartMode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The API server's edge against clients that hold it: header, body and idle timeouts, and the 413
 * that clients sending their whole body first still read. Over real sockets, from several loopback
 * addresses.
 */
@Timeout(120)
class HttpEdgeTest extends GatewayTestBase {
  private static final int HEADER_TIMEOUT = 2;
  private static final int BODY_TIMEOUT = 2;
  private static final int IDLE_TIMEOUT = 3;
  // Caps far above what these tests open: the caps have their own test and gateway (ConnectionCapsTest).
  private static final int PER_CLIENT = 64;
  private static final int TOTAL = 256;
  private static final long INVOKE_BODY_LIMIT = ServerConfig.MB;

  private String echoId;
  private String slowId;

  /** echo answers at once with the body's length; slow answers after longer than every timeout. */
  private final FunctionInvoker invoker = new FunctionInvoker() {
    @Override
    public Future<CallResult> call(Call call) {
      CallResult answer = new CallResult(200, Map.of("Content-Type", List.of("text/plain")),
          Buffer.buffer(Integer.toString(call.body().length())), StartMode.WARM);
      if (call.fn().name().equals("slow")) {
        Vertx vertx = Vertx.currentContext().owner();
        return vertx.timer(IDLE_TIMEOUT + BODY_TIMEOUT + 1, TimeUnit.SECONDS).map(answer);
      }
      return Future.succeededFuture(answer);
    }

    @Override
    public Future<Void> submitDetached(Call call) {
      return Future.succeededFuture();
    }

    @Override
    public Future<CallResult> runDetached(Call call) {
      return Future.failedFuture(new IllegalStateException("not used"));
    }
  };

  @Override
  ServerConfig config(ServerConfig c) {
    return c.withLimits(INVOKE_BODY_LIMIT, c.apiBodyLimit(), c.bundleLimit(), c.unpackLimits())
        .withHttpEdge(new HttpEdgeLimits(HEADER_TIMEOUT, BODY_TIMEOUT, IDLE_TIMEOUT, TOTAL, PER_CLIENT));
  }

  @Override
  FunctionInvoker invoker() {
    return invoker;
  }

  @BeforeAll
  void createFunctions() {
    String appId = gateway.createApp("edge").path("id").asText();
    echoId = gateway.createFn(appId, "echo").path("id").asText();
    slowId = gateway.createFn(appId, "slow").path("id").asText();
  }

  @Test
  void headersSentSlowlyAreCutOffAtTheHeaderTimeout() throws Exception {
    try (Socket s = RawHttp.connect(gateway.url(), "127.0.0.2")) {
      RawHttp.send(s, "GET /version HTTP/1.1\r\nHost: test\r\n");
      long start = System.nanoTime();
      boolean closed = false;
      // A header line every 300 ms: a connection that is never idle, whose request never completes.
      while (!closed && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(HEADER_TIMEOUT + 4)) {
        try {
          RawHttp.send(s, "X-Slow: 1\r\n");
        } catch (java.io.IOException e) {
          closed = true;
          break;
        }
        closed = RawHttp.closedWithin(s, 300);
      }
      assertTrue(closed, "still open after " + (HEADER_TIMEOUT + 4) + " s of trickled headers");
    }
  }

  @Test
  void idleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    try (Socket s = RawHttp.connect(gateway.url(), "127.0.0.2")) {
      assertTrue(RawHttp.get(s, "/version").startsWith("HTTP/1.1 200"));
      assertFalse(RawHttp.closedWithin(s, (IDLE_TIMEOUT - 1) * 1000L), "closed before the idle timeout");
      assertTrue(RawHttp.closedWithin(s, 3000), "still open 2 s after the idle timeout");
    }
  }

  @Test
  void bodyNotSentInTimeIsAnswered408AndClosed() throws Exception {
    try (Socket s = RawHttp.connect(gateway.url(), "127.0.0.2")) {
      RawHttp.send(s, "POST /invoke/" + echoId + " HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n0123456789");
      String reply = RawHttp.readResponse(s, (BODY_TIMEOUT + 3) * 1000);
      assertTrue(reply.startsWith("HTTP/1.1 408"), reply);
      assertEquals("Request body not received within " + BODY_TIMEOUT + " s",
          Json.MAPPER.readTree(reply.substring(reply.indexOf("\n\n") + 2)).path("message").asText());
      assertTrue(RawHttp.closedWithin(s, 2000));
    }
  }

  @Test
  void aCallLongerThanEveryTimeoutIsAnswered() throws Exception {
    try (Socket s = RawHttp.connect(gateway.url(), "127.0.0.2")) {
      RawHttp.send(s, "POST /invoke/" + slowId + " HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer "
          + io.cleave.common.http.Http.TEST_ADMIN_KEY + "\r\nContent-Length: 2\r\n\r\nhi");
      String reply = RawHttp.readResponse(s, (IDLE_TIMEOUT + BODY_TIMEOUT + 10) * 1000);
      assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
      assertTrue(reply.endsWith("\n\n2"), reply);
    }
  }

  @Test
  void aClientWritingItsWholeOversizedBodyBeforeReadingGetsThe413() throws Exception {
    // As Python's http.client does: the whole body is written, then the answer read.
    byte[] chunk = new byte[64 * 1024];
    long length = 80 * INVOKE_BODY_LIMIT;
    try (Socket s = RawHttp.connect(gateway.url(), "127.0.0.8")) {
      RawHttp.send(s, "POST /invoke/" + echoId + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + length + "\r\n\r\n");
      for (long sent = 0; sent < length; sent += chunk.length) {
        s.getOutputStream().write(chunk);
      }
      String reply = RawHttp.readResponse(s, 10_000);
      assertTrue(reply.startsWith("HTTP/1.1 413"), reply);
      assertEquals("Content-Length too large for this server, " + length + " > max " + INVOKE_BODY_LIMIT,
          Json.MAPPER.readTree(reply.substring(reply.indexOf("\n\n") + 2)).path("message").asText());
    }
  }

  @Test
  void javaHttpClientSendingAnOversizedBodyReadsThe413() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    byte[] body = new byte[(int) (80 * INVOKE_BODY_LIMIT)];
    HttpResponse<String> declared = client.send(HttpRequest.newBuilder(gateway.http().uri("/invoke/" + echoId))
        .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(413, declared.statusCode(), declared.body());
    assertEquals("Content-Length too large for this server, " + body.length + " > max " + INVOKE_BODY_LIMIT,
        Json.MAPPER.readTree(declared.body()).path("message").asText());

    HttpResponse<String> chunked = client.send(HttpRequest.newBuilder(gateway.http().uri("/invoke/" + echoId))
        .timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(413, chunked.statusCode(), chunked.body());
    assertEquals("Request content too large", Json.MAPPER.readTree(chunked.body()).path("message").asText());
  }
}
