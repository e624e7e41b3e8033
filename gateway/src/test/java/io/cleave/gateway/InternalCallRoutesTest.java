package io.cleave.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.error.ApiError;
import io.cleave.common.http.Http;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.model.StartMode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Calls other members forward here: only with the cluster secret, run as sent, answered untranslated. */
class InternalCallRoutesTest extends GatewayTestBase {
  private static final String SECRET = "s3cret-of-the-cluster";
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<Call> detachedRuns = new CopyOnWriteArrayList<>();
  private String fnId;

  private final FunctionInvoker invoker = new FunctionInvoker() {
    @Override
    public Future<CallResult> call(Call call) {
      calls.add(call);
      if (call.body().toString().equals("busy")) {
        return Future.failedFuture(new ApiError(503, "no capacity in time", 2));
      }
      return Future.succeededFuture(new CallResult(200, Map.of("Fn-Http-Status", List.of("201"),
          "Content-Type", List.of("text/plain")), Buffer.buffer("ran " + call.body()), StartMode.REMOTE_FORK, "node-b"));
    }

    @Override
    public Future<Void> submitDetached(Call call) {
      return Future.failedFuture(new IllegalStateException("not used"));
    }

    @Override
    public Future<CallResult> runDetached(Call call) {
      detachedRuns.add(call);
      return Future.succeededFuture(new CallResult(202, Map.of(), Buffer.buffer("queued run " + call.body()),
          StartMode.WARM, "node-b"));
    }
  };

  @Override
  ServerConfig config(ServerConfig c) {
    return c.withClusterSecret(SECRET);
  }

  @Override
  FunctionInvoker invoker() {
    return invoker;
  }

  @BeforeAll
  void createFunction() {
    String appId = gateway.createApp("fwd").path("id").asText();
    fnId = gateway.createFn(appId, "f").path("id").asText();
  }

  @Test
  void withoutTheSecretNothingRuns() {
    Http.Reply none = http.send("POST", "/cleave/v1/internal/calls/" + fnId, "sneak".getBytes(), Map.of());
    assertEquals(401, none.status(), none.toString());
    Http.Reply wrong = http.send("POST", "/cleave/v1/internal/calls/" + fnId, "sneak".getBytes(),
        Map.of("Cleave-Cluster-Secret", "guess"));
    assertEquals(403, wrong.status(), wrong.toString());
    assertTrue(calls.stream().noneMatch(c -> c.body().toString().equals("sneak")), "no call reached the invoker");
  }

  @Test
  void aForwardedCallRunsAsSentAndItsAnswerGoesBackUntranslated() {
    Http.Reply r = http.send("POST", "/cleave/v1/internal/calls/" + fnId, "payload".getBytes(), Map.of(
        "Cleave-Cluster-Secret", SECRET, "Cleave-Call-Id", "01M000000000000000000CALL1",
        "Fn-Http-H-X-Foo", "bar", "Fn-Intent", "httprequest"));
    assertEquals(200, r.status(), r.toString());
    assertEquals("answer", r.header("Cleave-Outcome"));
    assertEquals("201", r.header("Fn-Http-Status"), "the trigger translation is left to the forwarding gateway");
    assertEquals("remote-fork", r.header("Cleave-Start-Mode"));
    assertEquals("node-b", r.header("Cleave-Node"));
    assertEquals("ran payload", r.text());
    Call call = calls.stream().filter(c -> c.id().equals("01M000000000000000000CALL1")).findFirst().orElseThrow();
    assertEquals("bar", call.headers().get("Fn-Http-H-X-Foo").get(0));
    assertFalse(call.headers().keySet().stream().anyMatch(h -> h.equalsIgnoreCase("Cleave-Cluster-Secret")),
        "the secret never reaches the function");
  }

  @Test
  void aCallFromAMembersDetachedQueueRunsOncePerCallIdThere() {
    Http.Reply r = http.send("POST", "/cleave/v1/internal/calls/" + fnId, "later".getBytes(), Map.of(
        "Cleave-Cluster-Secret", SECRET, "Cleave-Call-Id", "01M000000000000000000CALL2", "Cleave-Detached", "true"));
    assertEquals(202, r.status(), r.toString());
    assertEquals("answer", r.header("Cleave-Outcome"));
    Call call = detachedRuns.stream().filter(c -> c.id().equals("01M000000000000000000CALL2")).findFirst()
        .orElseThrow(() -> new AssertionError("the call went to the invoker's once-per-id run: " + calls));
    assertFalse(call.headers().keySet().stream().anyMatch(h -> h.equalsIgnoreCase("Cleave-Detached")),
        "the mark never reaches the function");
    assertTrue(calls.stream().noneMatch(c -> c.id().equals("01M000000000000000000CALL2")));
  }

  @Test
  void refusalsAtTheDoorAreUnmarkedAndAnUnknownFunctionIsThisMembersWord() {
    Http.Reply wrong = http.send("POST", "/cleave/v1/internal/calls/" + fnId, "x".getBytes(),
        Map.of("Cleave-Cluster-Secret", "guess"));
    assertEquals(403, wrong.status(), wrong.toString());
    assertEquals(null, wrong.header("Cleave-Outcome"), "the sender learns its call was not delivered");
    Http.Reply gone = http.send("POST", "/cleave/v1/internal/calls/01M0000000000000000NOSUCHFN", "x".getBytes(),
        Map.of("Cleave-Cluster-Secret", SECRET));
    assertEquals(404, gone.status(), gone.toString());
    assertEquals("error", gone.header("Cleave-Outcome"), "a member that has no such function says so: final");
  }

  @Test
  void aPlatformErrorIsMarkedAsSuch() {
    Http.Reply r = http.send("POST", "/cleave/v1/internal/calls/" + fnId, "busy".getBytes(),
        Map.of("Cleave-Cluster-Secret", SECRET));
    assertEquals(503, r.status(), r.toString());
    assertEquals("error", r.header("Cleave-Outcome"));
    assertEquals("no capacity in time", r.message());
  }
}
