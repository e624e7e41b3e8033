package io.cleave.gateway;

import static io.cleave.gateway.GatewayFixture.assertError;
import static io.cleave.gateway.GatewayFixture.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.error.ApiError;
import io.cleave.common.http.Http;
import io.cleave.common.id.Ulid;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.json.Json;
import io.cleave.common.model.StartMode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's side of the gateway → invoker contract (docs/CONTRACTS.md): what a
 * {@link FunctionInvoker} receives for invoke and trigger requests, and how its answer reaches the
 * client. The invoker here answers like an FDK would, per function name, so every translation
 * rule is visible from the client's side.
 */
class CallRoutesTest extends GatewayTestBase {
  private static final long INVOKE_BODY_LIMIT = ServerConfig.MB;

  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<Call> detached = new CopyOnWriteArrayList<>();
  private String appId;

  /** Answers per function name: echo (headers as JSON), web (an HTTP-trigger answer), fail, broken, busy. */
  private final FunctionInvoker invoker = new FunctionInvoker() {
    @Override
    public Future<CallResult> call(Call call) {
      calls.add(call);
      switch (call.fn().name()) {
        case "echo": {
          var body = Json.MAPPER.createObjectNode();
          body.set("headers", Json.MAPPER.valueToTree(call.headers()));
          body.put("body", call.body().toString());
          body.put("url", call.requestUrl());
          return Future.succeededFuture(new CallResult(200,
              Map.of("Content-Type", List.of("application/json"), "Fn-Call-Id", List.of("not-the-gateway-id")),
              Buffer.buffer(Json.toBytes(body)), StartMode.FORK));
        }
        case "web":
          return Future.succeededFuture(new CallResult(200, Map.of(
              "Fn-Http-Status", List.of("201"),
              "Fn-Http-H-X-Bar", List.of("baz"),
              "Fn-Http-H-Location", List.of("/things/1"),
              "Content-Type", List.of("text/plain"),
              "X-Internal", List.of("dropped")), Buffer.buffer("created"), StartMode.WARM));
        case "fail":
          return Future.succeededFuture(new CallResult(502, Map.of("Content-Type", List.of("application/json"),
              "Fn-Http-Status", List.of("200")), Buffer.buffer("{\"message\":\"function failed\"}"), StartMode.COLD));
        case "broken":
          return Future.succeededFuture(new CallResult(200, null, null, null));
        default:
          return Future.failedFuture(new ApiError(503, "no capacity in time", 2));
      }
    }

    @Override
    public Future<Void> submitDetached(Call call) {
      detached.add(call);
      return Future.succeededFuture();
    }

    @Override
    public Future<CallResult> runDetached(Call call) {
      return Future.failedFuture(new IllegalStateException("not used: only members' queues run detached calls"));
    }
  };

  @Override
  ServerConfig config(ServerConfig c) {
    return c.withLimits(INVOKE_BODY_LIMIT, c.apiBodyLimit(), c.bundleLimit(), c.unpackLimits());
  }

  @Override
  FunctionInvoker invoker() {
    return invoker;
  }

  @BeforeAll
  void createFunctions() {
    appId = gateway.createApp("gw").path("id").asText();
    for (String fn : List.of("echo", "web", "fail", "busy", "broken")) {
      String fnId = gateway.createFn(appId, fn).path("id").asText();
      gateway.createTrigger(appId, fnId, fn, "/" + fn);
    }
  }

  private String fnId(String name) {
    return http.get("/v2/fns?app_id=" + appId + "&name=" + name).json().path("items").get(0).path("id").asText();
  }

  @Test
  void invokePassesTheCallAndAnswersWithStartModeAndCallId() {
    Http.Reply r = http.send("POST", "/invoke/" + fnId("echo"), "payload".getBytes(),
        Map.of("X-Foo", "bar", "Content-Type", "text/plain"));
    assertEquals(200, r.status(), r.toString());
    assertEquals("fork", r.header("Cleave-Start-Mode"));
    String callId = r.header("Fn-Call-Id");
    assertTrue(Ulid.isValid(callId), callId);
    Call call = calls.stream().filter(c -> c.id().equals(callId)).findFirst().orElseThrow();
    assertEquals("echo", call.fn().name());
    assertEquals("gw", call.app().name());
    assertEquals("payload", call.body().toString());
    JsonNode seen = r.json().path("headers");
    assertEquals("bar", seen.path("X-Foo").get(0).asText());
    assertEquals("text/plain", seen.path("Content-Type").get(0).asText());
    assertFalse(seen.has("Host") || seen.has("host"));
    assertFalse(seen.has("Content-Length") || seen.has("content-length"));
  }

  @Test
  void detachedInvokeIsAccepted() {
    Http.Reply r = http.send("POST", "/invoke/" + fnId("echo"), "later".getBytes(), Map.of("Fn-Invoke-Type", "detached"));
    assertEquals(202, r.status(), r.toString());
    String callId = r.header("Fn-Call-Id");
    assertTrue(detached.stream().anyMatch(c -> c.id().equals(callId) && c.body().toString().equals("later")));
  }

  @Test
  void triggerTranslatesHeadersBothWays() {
    Http.Reply r = http.send("PUT", "/t/gw/echo?x=1&y=2", "{\"a\":1}".getBytes(),
        Map.of("X-Custom-thing", "v1", "Content-Type", "application/json"));
    assertEquals(200, r.status(), r.toString());
    JsonNode h = r.json().path("headers");
    assertEquals("httprequest", h.path("Fn-Intent").get(0).asText());
    assertEquals("PUT", h.path("Fn-Http-Method").get(0).asText());
    assertEquals(gateway.url() + "/t/gw/echo?x=1&y=2", h.path("Fn-Http-Request-Url").get(0).asText());
    assertEquals("v1", h.path("Fn-Http-H-X-Custom-Thing").get(0).asText());
    assertEquals("application/json", h.path("Content-Type").get(0).asText());
    assertFalse(h.has("Fn-Http-H-Content-Type"));
    assertFalse(h.has("Fn-Http-H-Host"));
    assertEquals("{\"a\":1}", r.json().path("body").asText());
    assertEquals("fork", r.header("Cleave-Start-Mode"));

    Http.Reply web = http.get("/t/gw/web");
    assertEquals(201, web.status(), web.toString());
    assertEquals("baz", web.header("X-Bar"));
    assertEquals("/things/1", web.header("Location"));
    assertEquals("text/plain", web.header("Content-Type"));
    assertNull(web.header("Fn-Http-Status"));
    assertNull(web.header("X-Internal"));
    assertEquals("warm", web.header("Cleave-Start-Mode"));
    assertTrue(Ulid.isValid(web.header("Fn-Call-Id")));
    assertEquals("created", web.text());

    Http.Reply fail = http.get("/t/gw/fail");
    assertEquals(502, fail.status(), "a function error wins over Fn-Http-Status");
    assertEquals("function failed", fail.message());
    assertEquals("cold", fail.header("Cleave-Start-Mode"));
  }

  @Test
  void platformErrorsKeepStatusAndRetryAfter() {
    for (String path : List.of("/invoke/" + fnId("busy"), "/t/gw/busy")) {
      Http.Reply r = http.post(path, "x");
      assertEquals(503, r.status(), path + ": " + r);
      assertEquals("no capacity in time", r.message());
      assertEquals("2", r.header("Retry-After"));
      assertTrue(Ulid.isValid(r.header("Fn-Call-Id")));
    }
  }

  @Test
  void aMalformedInvokerAnswerIsA500NotAHang() {
    Http.Reply r = http.post("/invoke/" + fnId("broken"), "x");
    assertEquals(500, r.status(), r.toString());
    assertEquals("internal server error", r.message());
    assertEquals(500, http.get("/t/gw/broken").status());
  }

  @Test
  void bodiesOverTheLimitAre413AndNeverReachTheInvoker() {
    int size = (int) INVOKE_BODY_LIMIT + 1;
    for (String path : List.of("/invoke/" + fnId("echo"), "/t/gw/echo")) {
      Http.Reply r = http.send("POST", path, new byte[size], Map.of());
      assertError(r, 413, "Content-Length too large for this server, " + size + " > max " + INVOKE_BODY_LIMIT);
      String callId = r.header("Fn-Call-Id");
      assertTrue(Ulid.isValid(callId), callId);
      assertTrue(calls.stream().noneMatch(c -> c.id().equals(callId)), path);
    }
  }

  @Test
  void unknownTargetsAre404() {
    assertError(http.post("/invoke/" + Ulid.next(), "{}"), 404, "Fn not found");
    assertError(http.get("/t/gw/nowhere"), 404, "Trigger not found");
    assertError(http.get("/t/" + unique("noapp") + "/go"), 404, "App not found");
  }

  @Test
  void withoutAnInvokerCallsAnswer503() throws Exception {
    try (GatewayFixture bare = GatewayFixture.start(UnaryOperator.identity())) {
      String appName = unique("noinv");
      String bareApp = bare.createApp(appName).path("id").asText();
      String fn = bare.createFn(bareApp, "f").path("id").asText();
      bare.createTrigger(bareApp, fn, "t", "/go");
      Http.Reply invoke = bare.http().post("/invoke/" + fn, "{}");
      assertError(invoke, 503, "no invoker on this node");
      assertTrue(Ulid.isValid(invoke.header("Fn-Call-Id")));
      assertError(bare.http().post("/t/" + appName + "/go", "x"), 503, "no invoker on this node");
      // What does not exist is still 404 first.
      assertError(bare.http().post("/invoke/" + Ulid.next(), "{}"), 404, "Fn not found");
      assertError(bare.http().get("/t/" + appName + "/nowhere"), 404, "Trigger not found");
    }
  }
}
