package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.invoke.Call;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dispatch against a real HTTP server listening on a unix domain socket. */
class InstanceClientTest {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  private InstanceClient client;
  private String listener;

  @BeforeEach
  void start() {
    client = new InstanceClient(vertx, 1024);
    listener = dir.resolve("lsnr.sock").toString();
    HttpServer server =
        vertx.createHttpServer().requestHandler(req -> {
          switch (req.getHeader("X-Mode") == null ? "echo" : req.getHeader("X-Mode")) {
            case "silent" -> { }
            case "close" -> req.connection().close();
            case "big" -> req.response().end(Buffer.buffer(new byte[4096]));
            default -> req.body().onSuccess(body -> req.response()
                .putHeader("Fn-Http-Status", "201")
                .putHeader("Seen-Call-Id", req.getHeader("Fn-Call-Id"))
                .putHeader("Seen-Deadline", req.getHeader("Fn-Deadline"))
                .putHeader("Seen-Extra", String.join(",", req.headers().getAll("X-Extra")))
                .putHeader("Seen-Path", req.method() + " " + req.uri())
                .end(Buffer.buffer("echo:").appendBuffer(body)));
          }
        });
    Waits.await(server.listen(SocketAddress.domainSocketAddress(listener)));
  }

  @AfterEach
  void stop() {
    client.close();
    Waits.await(vertx.close());
  }

  private Call call(String mode) {
    Call c = Calls.call(Calls.fn("f", "bundle:sha256:00"), "hello");
    if (mode == null) {
      return c;
    }
    var headers = new java.util.HashMap<>(c.headers());
    headers.put("X-Mode", List.of(mode));
    return new Call(c.id(), c.app(), c.fn(), c.method(), c.requestUrl(), headers, c.body(), c.receivedAt());
  }

  @Test
  void sendsTheCallWithFnHeadersAndReturnsTheRawAnswer() {
    Call c = call(null);
    Instant deadline = Instant.now().plusSeconds(5);
    var outcome = Waits.await(client.dispatch(listener, c, deadline));
    var answer = assertInstanceOf(InstanceClient.Answered.class, outcome);
    assertEquals(200, answer.status());
    assertEquals("echo:hello", answer.body().toString());
    assertEquals(List.of("201"), answer.headers().get("Fn-Http-Status"));
    assertEquals(List.of(c.id()), answer.headers().get("Seen-Call-Id"));
    assertEquals(deadline.toEpochMilli(), Instant.parse(answer.headers().get("Seen-Deadline").get(0)).toEpochMilli());
    assertEquals(List.of("a,b"), answer.headers().get("Seen-Extra"));
    assertEquals(List.of("POST /call"), answer.headers().get("Seen-Path"));
    // The connection is kept alive and reused: many sequential calls succeed.
    for (int i = 0; i < 50; i++) {
      assertInstanceOf(InstanceClient.Answered.class, Waits.await(client.dispatch(listener, call(null), deadline)));
    }
  }

  @Test
  void anInstanceThatDoesNotAnswerInTimeTimesOut() {
    long t0 = System.nanoTime();
    var outcome = Waits.await(client.dispatch(listener, call("silent"), Instant.now().plusMillis(300)));
    assertInstanceOf(InstanceClient.TimedOut.class, outcome);
    assertTrue(System.nanoTime() - t0 >= 250_000_000L);
  }

  @Test
  void aBrokenConnectionOrMissingListenerIsReportedAsBroken() {
    assertInstanceOf(InstanceClient.Broken.class,
        Waits.await(client.dispatch(listener, call("close"), Instant.now().plusSeconds(5))));
    assertInstanceOf(InstanceClient.Broken.class,
        Waits.await(client.dispatch(dir.resolve("nobody.sock").toString(), call(null), Instant.now().plusSeconds(5))));
  }

  @Test
  void anAnswerPastTheLimitIsRefused() {
    var outcome = Waits.await(client.dispatch(listener, call("big"), Instant.now().plusSeconds(5)));
    assertEquals(1024, assertInstanceOf(InstanceClient.TooLarge.class, outcome).limit());
  }

  @Test
  void deadlinesAreWrittenAsIsoInstantWritesThemToTheMillisecond() {
    // Deadlines of one second share a cached prefix: a second boundary, whole seconds and leading zeros.
    Instant base = Instant.parse("2026-12-06T18:03:59Z");
    for (long nanos : new long[] {0, 7_000_000, 45_000_000, 999_999_999, 1_000_000_000, 1_001_500_000, 61_120_000_000L}) {
      Instant deadline = base.plusNanos(nanos);
      assertEquals(java.time.format.DateTimeFormatter.ISO_INSTANT.format(deadline.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)),
          client.deadlineText(deadline));
    }
  }
}
