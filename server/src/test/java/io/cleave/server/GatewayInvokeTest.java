package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.activation.Activation;
import io.cleave.common.activation.ActivationLog;
import io.cleave.common.activation.ActivationQuery;
import io.cleave.common.error.ApiError;
import io.cleave.common.id.Ulid;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.json.Json;
import io.cleave.common.model.StartMode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The gateway's side of the gateway → invoker contract (docs/CONTRACTS.md): what a
 * {@link FunctionInvoker} receives for invoke and trigger requests, and how its answer reaches the
 * client. The invoker here answers like an FDK would, per function name, so every translation
 * rule is visible from the client's side.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayInvokeTest {
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<Call> detached = new CopyOnWriteArrayList<>();
  private final Map<String, Activation> activations = new TreeMap<>();
  private Path data;
  private ServerComposition server;
  private Http http;
  private String appId;

  /** Answers per function name: echo (headers as JSON), web (an HTTP-trigger answer), fail, busy. */
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
  };

  private final ActivationLog log = new ActivationLog() {
    @Override
    public Future<List<Activation>> list(ActivationQuery q) {
      return Future.succeededFuture(activations.values().stream()
          .filter(a -> q.fnId() == null || q.fnId().equals(a.fnId()))
          .filter(a -> q.since() == null || !a.start().isBefore(q.since()))
          .limit(q.limit()).toList());
    }

    @Override
    public Future<Optional<Activation>> get(String id) {
      return Future.succeededFuture(Optional.ofNullable(activations.get(id)));
    }

    @Override
    public Future<Optional<String>> logs(String id) {
      return Future.succeededFuture(activations.containsKey(id) ? Optional.of("line one\nline two\n") : Optional.empty());
    }
  };

  @BeforeAll
  void start() throws Exception {
    data = Files.createTempDirectory("cleave-gw");
    server = TestServers.start(TestServers.config(data), p -> Future.succeededFuture(new Execution(invoker, log, null)));
    http = new Http(server.url());
    appId = http.post("/v2/apps", "{\"name\":\"gw\"}").json().path("id").asText();
    for (String fn : List.of("echo", "web", "fail", "busy", "broken")) {
      String fnId = http.post("/v2/fns", "{\"name\":\"" + fn + "\",\"app_id\":\"" + appId + "\"}").json().path("id").asText();
      http.post("/v2/triggers", "{\"name\":\"" + fn + "\",\"app_id\":\"" + appId + "\",\"fn_id\":\"" + fnId
          + "\",\"type\":\"http\",\"source\":\"/" + fn + "\"}");
    }
  }

  @AfterAll
  void stop() throws Exception {
    server.close();
    TestServers.deleteTree(data);
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
    assertEquals(server.url() + "/t/gw/echo?x=1&y=2", h.path("Fn-Http-Request-Url").get(0).asText());
    assertEquals("v1", h.path("Fn-Http-H-X-Custom-Thing").get(0).asText());
    assertEquals("application/json", h.path("Content-Type").get(0).asText());
    assertFalse(h.has("Fn-Http-H-Content-Type"));
    assertFalse(h.has("Fn-Http-H-Host"));
    assertEquals("{\"a\":1}", r.json().path("body").asText());

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
  }

  @Test
  void platformErrorsKeepStatusAndRetryAfter() {
    Http.Reply r = http.post("/invoke/" + fnId("busy"), "x");
    assertEquals(503, r.status());
    assertEquals("no capacity in time", r.message());
    assertEquals("2", r.header("Retry-After"));
    assertTrue(Ulid.isValid(r.header("Fn-Call-Id")));
  }

  @Test
  void aMalformedInvokerAnswerIsA500NotAHang() {
    Http.Reply r = http.post("/invoke/" + fnId("broken"), "x");
    assertEquals(500, r.status(), r.toString());
    assertEquals("internal server error", r.message());
    assertEquals(500, http.get("/t/gw/broken").status());
  }

  @Test
  void activationRoutes() {
    String fn = fnId("echo");
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < 3; i++) {
      String id = Ulid.next();
      activations.put(id, new Activation(id, appId, i < 2 ? fn : "other", "node-1", StartMode.FORK, "success", 200,
          t0.plusSeconds(i), t0.plusSeconds(i).plusMillis(5), 5, 1, 2, 10, null, null));
    }
    JsonNode all = http.get("/cleave/v1/activations?fn_id=" + fn).json();
    assertEquals(2, all.path("items").size());
    JsonNode first = all.path("items").get(0);
    assertEquals("fork", first.path("start_mode").asText());
    assertEquals(fn, first.path("fn_id").asText());
    assertEquals("2026-01-01T00:00:00.000Z", first.path("start").asText());
    assertEquals(1, http.get("/cleave/v1/activations?fn_id=" + fn + "&since=2026-01-01T00:00:01Z").json().path("items").size());
    assertEquals(1, http.get("/cleave/v1/activations?limit=1").json().path("items").size());
    assertEquals(400, http.get("/cleave/v1/activations?since=yesterday").status());
    assertEquals(400, http.get("/cleave/v1/activations?limit=0").status());
    String id = first.path("id").asText();
    assertEquals(id, http.get("/cleave/v1/activations/" + id).json().path("id").asText());
    Http.Reply logs = http.get("/cleave/v1/activations/" + id + "/logs");
    assertEquals("line one\nline two\n", logs.text());
    assertTrue(logs.header("Content-Type").startsWith("text/plain"));
    assertEquals(404, http.get("/cleave/v1/activations/" + Ulid.next()).status());
    assertEquals(404, http.get("/cleave/v1/activations/" + Ulid.next() + "/logs").status());
  }
}
