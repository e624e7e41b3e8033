package io.cleave.gateway;

import static io.cleave.gateway.GatewayFixture.assertError;
import static io.cleave.gateway.GatewayFixture.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.http.Http;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.json.Json;
import io.cleave.common.model.StartMode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Input the platform could not honour or a client should not control: each is a clear 400 with
 * Fn's {@code {"message": ...}}, or, for headers only the platform sets, dropped before the
 * function sees them.
 */
class InputEdgesTest extends GatewayTestBase {
  private String appId;
  private String fnId;

  /** Answers with the headers the function was given. */
  private final FunctionInvoker invoker = new FunctionInvoker() {
    @Override
    public Future<CallResult> call(Call call) {
      return Future.succeededFuture(new CallResult(200, Map.of("Content-Type", List.of("application/json")),
          Buffer.buffer(Json.toBytes(call.headers())), StartMode.WARM));
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
  FunctionInvoker invoker() {
    return invoker;
  }

  @BeforeAll
  void createFunction() {
    appId = gateway.createApp("edges").path("id").asText();
    fnId = gateway.createFn(appId, "headers").path("id").asText();
    gateway.createTrigger(appId, fnId, "headers", "/headers");
  }

  @Test
  void headersOnlyThePlatformSetsAreDroppedFromClients() {
    Map<String, String> forged = new LinkedHashMap<>();
    for (String name : List.of("Fn-Intent", "Fn-Http-H-X-User", "Fn-Call-Id", "Fn-Deadline", "Fn-Http-Method",
        "Fn-Http-Request-Url", "Fn-Http-Status", "Fn-Fdk-Version", "Cleave-Detached", "Cleave-Call-Id")) {
      forged.put(name, "forged");
    }
    forged.put("X-Ok", "kept");

    JsonNode invoked = http.send("POST", "/invoke/" + fnId, "x".getBytes(), forged).json();
    assertEquals("kept", invoked.path("X-Ok").get(0).asText(), invoked.toString());
    invoked.fieldNames().forEachRemaining(name -> assertFalse(
        name.toLowerCase().startsWith("fn-") || name.toLowerCase().startsWith("cleave-"), "function saw " + name));

    JsonNode triggered = http.send("POST", "/t/edges/headers", "x".getBytes(), forged).json();
    assertEquals("kept", triggered.path("Fn-Http-H-X-Ok").get(0).asText(), triggered.toString());
    assertEquals("httprequest", triggered.path("Fn-Intent").get(0).asText());
    assertEquals(1, triggered.path("Fn-Intent").size());
    assertEquals("POST", triggered.path("Fn-Http-Method").get(0).asText());
    triggered.fieldNames().forEachRemaining(name -> assertFalse(
        name.toLowerCase().startsWith("fn-http-h-fn-") || name.toLowerCase().startsWith("fn-http-h-cleave-"),
        "function saw " + name));
  }

  @Test
  void jsonNestedTooDeeplyIs400() {
    for (int depth : new int[] {65, 5000}) {
      String body = "{\"name\":\"deep\",\"annotations\":{\"a\":" + "[".repeat(depth) + "]".repeat(depth) + "}}";
      assertError(http.post("/v2/apps", body), 400, "Invalid JSON: nested deeper than 64 levels");
    }
  }

  @Test
  void aCursorThatIsNotOneIs400() {
    for (String path : List.of("/v2/apps?cursor=", "/v2/fns?app_id=" + appId + "&cursor=",
        "/v2/triggers?app_id=" + appId + "&cursor=")) {
      // Not base64url; not UTF-8 inside.
      for (String cursor : List.of("!!!", "a", "%25ZZ", "YQ%3D%3D%3D", "____")) {
        assertError(http.get(path + cursor), 400, "Invalid cursor");
      }
    }
  }

  @Test
  void aQueryThatDoesNotDecodeIs400() throws Exception {
    for (String query : List.of("/v2/apps?cursor=%ZZ", "/v2/apps?cursor=%", "/cleave/v1/activations?since=%G0")) {
      try (java.net.Socket s = RawHttp.connect(gateway.url(), "127.0.0.1")) {
        String reply = RawHttp.get(s, query);
        assertEquals("HTTP/1.1 400 Bad Request\n\n{\"message\":\"Invalid query: malformed percent-encoding\"}",
            reply, query);
      }
    }
  }

  @Test
  void configAndAnnotationsNoProcessCouldBeGivenAre400() {
    String keys = "Invalid config: keys must be non-empty and contain no '=' or NUL";
    assertError(http.post("/v2/apps", app(Map.of("A=B", "x"), Map.of())), 400, keys);
    assertError(http.post("/v2/apps", app(Map.of("A\0", "x"), Map.of())), 400, keys);
    assertError(http.post("/v2/apps", app(Map.of("", "x"), Map.of())), 400, keys);
    assertError(http.post("/v2/apps", app(Map.of("A", "x\0y"), Map.of())), 400,
        "Invalid config: the value of 'A' contains NUL");
    assertError(http.put("/v2/fns/" + fnId, "{\"config\":{\"K=V\":\"x\"}}"), 400, keys);
    assertError(http.post("/v2/apps", app(Map.of(), Map.of("a=b", "x"))), 400,
        "Invalid annotation key, annotation keys must not contain '='");
    assertError(http.post("/v2/apps", app(Map.of(), Map.of("a", Map.of("b", List.of("x\0"))))), 400,
        "Invalid annotation value, annotation values must not contain NUL");
  }

  private static String app(Map<String, String> config, Map<String, Object> annotations) {
    ObjectNode o = Json.MAPPER.createObjectNode().put("name", unique("cfg"));
    o.set("config", Json.MAPPER.valueToTree(config));
    o.set("annotations", Json.MAPPER.valueToTree(annotations));
    return o.toString();
  }

  @Test
  void triggerSourcesThatNormaliseToAnotherPathAre400() {
    for (String source : List.of("/a/../b", "/a//b", "/./a", "/a/.", "/..", "/%2e%2E/x", "/a/%2e")) {
      assertError(trigger(source), 400, "Invalid Trigger Source: it must not contain '.', '..' or empty ('//') segments");
    }
    for (String source : List.of("/a/%00", "/a%1fb", "/a%7F")) {
      assertError(trigger(source), 400, "Invalid Trigger Source: it must not contain control characters");
    }
    assertError(trigger("/a\u0085b"), 400, "Invalid Trigger Source: it must be a URL path without spaces, '?' or '#'");
    for (String source : List.of("/", "/ok/", "/a.b/c..d/%2e%2ex")) {
      assertEquals(200, trigger(source).status(), source);
    }
  }

  private Http.Reply trigger(String source) {
    ObjectNode o = Json.MAPPER.createObjectNode().put("name", unique("t")).put("app_id", appId)
        .put("fn_id", fnId).put("type", "http").put("source", source);
    return http.post("/v2/triggers", o.toString());
  }

  @Test
  void namesWithLookAlikeLettersOfOtherScriptsAre400() {
    // Cyrillic а (U+0430) and і (U+0456) look like Latin a and i.
    assertError(http.post("/v2/apps", "{\"name\":\"myаpp\"}"), 400, "Invalid app name");
    assertError(http.post("/v2/fns", "{\"name\":\"fnа\",\"app_id\":\"" + appId + "\"}"), 400,
        "name must be a valid string");
    ObjectNode t = Json.MAPPER.createObjectNode().put("name", "trіgger").put("app_id", appId)
        .put("fn_id", fnId).put("type", "http").put("source", "/lookalike");
    assertError(http.post("/v2/triggers", t.toString()), 400, "Invalid name for Trigger");
  }
}
