package io.cleave.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.http.Http;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.model.StartMode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * API keys over HTTP on a real gateway: every route the router has refuses a request without a
 * key (401) and one with a key of another app (403), keys stay inside their app and role,
 * revoked keys are refused, public triggers need none, and functions never see callers' keys.
 */
class AccessTest extends GatewayTestBase {
  /**
   * Routes anyone may use: they show nothing of a tenant (the internal one checks the cluster secret
   * itself; the console's files hold no data).
   */
  private static final Set<String> OPEN = Set.of("/", "/version", "/cleave/v1/internal/calls/:fnId",
      "/console", "/console/", "/console/lib/:webjar/");

  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private JsonNode appA;
  private JsonNode appB;
  private JsonNode fnA;
  private JsonNode fnB;
  private JsonNode triggerB;
  private String deployA;
  private String invokeA;

  @Override
  FunctionInvoker invoker() {
    return new FunctionInvoker() {
      @Override
      public Future<CallResult> call(Call call) {
        calls.add(call);
        return Future.succeededFuture(new CallResult(200, Map.of(), Buffer.buffer("ran " + call.fn().name()),
            StartMode.WARM));
      }

      @Override
      public Future<Void> submitDetached(Call call) {
        return Future.succeededFuture();
      }

      @Override
      public Future<CallResult> runDetached(Call call) {
        return call(call);
      }
    };
  }

  @BeforeAll
  void tenants() {
    appA = gateway.createApp(GatewayFixture.unique("tenant-a"));
    appB = gateway.createApp(GatewayFixture.unique("tenant-b"));
    http.put("/v2/apps/" + id(appB), "{\"config\":{\"DB_PASSWORD\":\"b-secret\"}}");
    fnA = gateway.createFn(id(appA), "fa");
    fnB = gateway.createFn(id(appB), "fb");
    gateway.createTrigger(id(appA), id(fnA), "open", "/open");
    Http.Reply t = http.post("/v2/triggers", "{\"name\":\"closed\",\"app_id\":\"" + id(appB) + "\",\"fn_id\":\"" + id(fnB)
        + "\",\"type\":\"http\",\"source\":\"/closed\",\"annotations\":{\"cleave.io/public\":false}}");
    assertEquals(200, t.status(), t.toString());
    triggerB = t.json();
    deployA = createKey("deploy", id(appA));
    invokeA = createKey("invoke", id(appA));
  }

  private String createKey(String role, String appId) {
    Http.Reply r = http.post("/cleave/v1/keys", "{\"role\":\"" + role + "\",\"app_id\":\"" + appId + "\"}");
    assertEquals(200, r.status(), r.toString());
    assertFalse(r.json().has("hash"), r.toString());
    return r.json().path("key").asText();
  }

  private static String id(JsonNode n) {
    return n.path("id").asText();
  }

  /** One concrete request for every route the gateway's router has, aimed at app B's objects. */
  private List<Request> everyRoute() throws Exception {
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    var limits = gateway.parts().config().httpEdge();
    var router = Gateway.router(gateway.vertx(), gateway.parts(), new HttpMetrics(metrics), new ConnectionGuard(
        gateway.vertx(), limits, new ConnectionCaps(limits.effectiveMaxConnections(), limits.maxConnectionsPerClient(), metrics)));
    List<Request> out = new ArrayList<>();
    for (Route route : router.getRoutes()) {
      String path = route.getPath();
      if (path == null || Routing.BODY_LIMIT_ROUTE.equals(route.getName())) {
        continue; // handlers of every request (call id, metrics, errors) and body limits: no endpoint
      }
      String concrete = path.replace(":appId", id(appB)).replace(":fnId", id(fnB)).replace(":triggerId", id(triggerB))
          .replace(":app", appB.path("name").asText()).replace(":callId", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
          .replace(":id", "01ARZ3NDEKTSV4RRFFQ69G5FAV").replace(":keyId", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
          .replace(":digest", "sha256:" + "0".repeat(64));
      if (path.startsWith("/t/")) {
        concrete = "/t/" + appB.path("name").asText() + "/closed";
      }
      if (path.equals("/v2/fns") || path.equals("/v2/triggers")) {
        concrete += "?app_id=" + id(appB);
      }
      if (path.equals("/cleave/v1/activations")) {
        concrete += "?fn_id=" + id(fnB);
      }
      Set<HttpMethod> methods = route.methods() == null || route.methods().isEmpty() ? Set.of(HttpMethod.POST) : route.methods();
      for (HttpMethod m : methods) {
        out.add(new Request(m.name(), path, concrete));
      }
    }
    assertTrue(out.size() > 25, "routes found: " + out);
    return out;
  }

  /** One request: its method, the route's path as mounted and the concrete path sent. */
  private record Request(String method, String route, String path) {}

  /** Sends {@code r}; bodies name app B and its function, as a create in B would. */
  private Http.Reply send(Request r, Http client) {
    byte[] body = r.method().equals("GET") || r.method().equals("DELETE") ? null
        : ("{\"app_id\":\"" + id(appB) + "\",\"name\":\"x\",\"role\":\"admin\",\"fn_id\":\"" + id(fnB) + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    return client.send(r.method(), r.path(), body, Map.of("Content-Type", "application/json"));
  }

  @Test
  void everyRouteRefusesARequestWithoutAKey() throws Exception {
    Http anonymous = http.withKey(null);
    for (Request r : everyRoute()) {
      if (OPEN.contains(r.route())) {
        continue;
      }
      Http.Reply reply = send(r, anonymous);
      assertEquals(401, reply.status(), r + " -> " + reply);
      assertEquals("Bearer realm=\"cleave\"", reply.header("WWW-Authenticate"), r + " -> " + reply);
      assertFalse(reply.message().isEmpty(), r + " -> " + reply);
      Http.Reply forged = send(r, http.withKey("clv_01ARZ3NDEKTSV4RRFFQ69G5FAV_forged"));
      assertEquals(401, forged.status(), r + " with a forged key -> " + forged);
    }
    assertEquals(200, anonymous.get("/").status());
    assertEquals(200, anonymous.get("/version").status());
  }

  @Test
  void everyRouteRefusesAKeyOfAnotherApp() throws Exception {
    for (String key : List.of(deployA, invokeA)) {
      Http other = http.withKey(key);
      for (Request r : everyRoute()) {
        if (OPEN.contains(r.route())) {
          continue;
        }
        Http.Reply reply = send(r, other);
        if (r.route().equals("/v2/apps") && r.method().equals("GET") && key.equals(deployA)) {
          // The app list answers, cut down to the key's own app.
          assertEquals(200, reply.status(), reply.toString());
          assertEquals(List.of(appA.path("name").asText()), GatewayFixture.names(reply.json()), reply.toString());
          continue;
        }
        if (r.route().equals("/cleave/v1/keys/self")) {
          // A key learns what it is itself: its own app, never another's.
          assertEquals(200, reply.status(), reply.toString());
          assertEquals(id(appA), reply.json().path("app_id").asText(), reply.toString());
          continue;
        }
        assertEquals(403, reply.status(), r + " with a key of app A -> " + reply);
        assertFalse(reply.text().contains("b-secret"), reply.toString());
      }
    }
    assertTrue(calls.stream().noneMatch(c -> c.app().id().equals(id(appB))), "app B's functions were called");
  }

  @Test
  void aDeployKeyManagesItsOwnAppOnly() {
    Http deploy = http.withKey(deployA);
    assertEquals(200, deploy.get("/v2/apps/" + id(appA)).status());
    assertEquals(200, deploy.put("/v2/apps/" + id(appA), "{\"config\":{\"K\":\"v\"}}").status());
    assertEquals(200, deploy.post("/v2/fns", "{\"name\":\"made-by-key\",\"app_id\":\"" + id(appA) + "\"}").status());
    assertEquals(200, deploy.get("/v2/fns?app_id=" + id(appA)).status());
    assertEquals(200, deploy.post("/invoke/" + id(fnA), "{}").status());

    assertEquals(403, deploy.get("/v2/apps/" + id(appB)).status());
    assertEquals(403, deploy.put("/v2/fns/" + id(fnB), "{\"image\":\"cleave/bundle:sha256-" + "1".repeat(64) + "\"}").status());
    assertEquals(403, deploy.post("/v2/fns", "{\"name\":\"planted\",\"app_id\":\"" + id(appB) + "\"}").status());
    assertEquals(403, deploy.delete("/v2/apps/" + id(appA)).status(), "deleting an app takes an admin key");
    assertEquals(403, deploy.post("/v2/apps", "{\"name\":\"new-tenant\"}").status());
    assertEquals(403, deploy.get("/cleave/v1/keys").status());
    assertEquals(403, deploy.get("/metrics").status());
    // Moving a trigger of A onto B's function is refused by the registry's same-app rule.
    JsonNode b = http.get("/v2/apps/" + id(appB)).json();
    assertEquals("b-secret", b.path("config").path("DB_PASSWORD").asText());
    assertEquals("", http.get("/v2/fns/" + id(fnB)).json().path("image").asText(""));
  }

  @Test
  void anInvokeKeyCallsButReadsNothing() {
    Http invoke = http.withKey(invokeA);
    assertEquals(200, invoke.post("/invoke/" + id(fnA), "{}").status());
    assertEquals(200, invoke.post("/t/" + appA.path("name").asText() + "/open", "{}").status());
    for (String path : List.of("/v2/apps/" + id(appA), "/v2/fns/" + id(fnA), "/v2/fns?app_id=" + id(appA),
        "/v2/triggers?app_id=" + id(appA), "/v2/apps", "/cleave/v1/activations?fn_id=" + id(fnA))) {
      Http.Reply r = invoke.get(path);
      assertEquals(403, r.status(), path + " -> " + r);
    }
    assertEquals(403, invoke.put("/v2/apps/" + id(appA), "{\"config\":{\"K\":\"stolen\"}}").status());
  }

  @Test
  void aRevokedKeyIsRefused() {
    String key = createKey("deploy", id(appA));
    Http holder = http.withKey(key);
    assertEquals(200, holder.get("/v2/apps/" + id(appA)).status());
    String keyId = key.split("_")[1];
    JsonNode listed = http.get("/cleave/v1/keys").json();
    assertTrue(listed.toString().contains(keyId), listed.toString());
    assertFalse(listed.toString().contains(key), "lists never show a key");
    assertEquals(204, http.delete("/cleave/v1/keys/" + keyId).status());
    Http.Reply after = holder.get("/v2/apps/" + id(appA));
    assertEquals(401, after.status(), after.toString());
    assertEquals("invalid or revoked API key", after.message());
    assertEquals(404, http.delete("/cleave/v1/keys/" + keyId).status());
  }

  @Test
  void anInvokeKeyLearnsWhereItsAppsFunctionIsCalledAndNothingElse() {
    Http invoke = http.withKey(invokeA);
    Http.Reply r = invoke.get("/cleave/v1/apps/" + appA.path("name").asText() + "/fns/fa/endpoint");
    assertEquals(200, r.status(), r.toString());
    assertEquals(id(fnA), r.json().path("fn_id").asText(), r.toString());
    assertTrue(r.json().path("invoke_endpoint").asText().endsWith("/invoke/" + id(fnA)), r.toString());
    assertFalse(r.json().has("config") || r.json().has("annotations") || r.json().has("image"), "what a call needs only: " + r);
    assertEquals(403, invoke.get("/cleave/v1/apps/" + appB.path("name").asText() + "/fns/fb/endpoint").status());
    Http.Reply missing = http.get("/cleave/v1/apps/" + appA.path("name").asText() + "/fns/nope/endpoint");
    assertEquals(404, missing.status(), missing.toString());
    assertEquals("function nope not found in app " + appA.path("name").asText(), missing.message());
  }

  @Test
  void aKeyThatExpiredIsRefusedAndSaysSo() throws Exception {
    Http.Reply r = http.post("/cleave/v1/keys", "{\"role\":\"deploy\",\"app_id\":\"" + id(appA) + "\",\"expires_in_s\":1}");
    assertEquals(200, r.status(), r.toString());
    Instant expiresAt = Instant.parse(r.json().path("expires_at").asText());
    Instant createdAt = Instant.parse(r.json().path("created_at").asText());
    assertEquals(Duration.ofSeconds(1), Duration.between(createdAt, expiresAt), r.toString());
    Http holder = http.withKey(r.json().path("key").asText());
    assertEquals(200, holder.get("/v2/apps/" + id(appA)).status(), "accepted before it expires");

    Thread.sleep(Math.max(0, Duration.between(Instant.now(), expiresAt).toMillis()) + 50);
    Http.Reply after = holder.get("/v2/apps/" + id(appA));
    assertEquals(401, after.status(), after.toString());
    assertTrue(after.message().startsWith("API key expired at " + r.json().path("expires_at").asText()), after.message());
    JsonNode listed = StreamSupport.stream(http.get("/cleave/v1/keys").json().path("items").spliterator(), false)
        .filter(k -> k.path("id").asText().equals(r.json().path("id").asText())).findFirst().orElseThrow();
    assertTrue(listed.path("expired").asBoolean(), listed.toString());
  }

  @Test
  void aKeyLifetimeOutOfRangeOrOfTheWrongTypeIsRefused() {
    int before = http.get("/cleave/v1/keys").json().path("items").size();
    for (String lifetime : List.of("0", "-5", "\"30d\"", "1.5", "315360001", "true")) {
      Http.Reply r = http.post("/cleave/v1/keys", "{\"role\":\"metrics\",\"expires_in_s\":" + lifetime + "}");
      assertEquals(400, r.status(), lifetime + " -> " + r);
      assertTrue(r.message().contains("expires_in_s") || r.message().contains("lifetime"), r.message());
    }
    assertEquals(before, http.get("/cleave/v1/keys").json().path("items").size(), "no key was made");
    Http.Reply forever = http.post("/cleave/v1/keys", "{\"role\":\"metrics\",\"expires_in_s\":null}");
    assertEquals(200, forever.status(), forever.toString());
    assertFalse(forever.json().has("expires_at"), forever.toString());
  }

  @Test
  void aPublicTriggerTakesCallsWithoutAKeyAndFunctionsNeverSeeKeys() {
    calls.clear();
    String open = "/t/" + appA.path("name").asText() + "/open";
    Http.Reply anonymous = http.withKey(null).send("POST", open, "{}".getBytes(StandardCharsets.UTF_8),
        Map.of("Authorization", "Bearer the-function's-own-token"));
    assertEquals(200, anonymous.status(), anonymous.toString());
    assertEquals(List.of("Bearer the-function's-own-token"), calls.get(0).headers().get("Fn-Http-H-Authorization"),
        "a public trigger passes its caller's own credentials on");
    assertEquals(401, http.withKey(null).post("/t/" + appB.path("name").asText() + "/closed", "{}").status());
    calls.clear();
    assertEquals(200, http.withKey(invokeA).post(open, "{}").status());
    assertEquals(200, http.post("/invoke/" + id(fnA), "{}").status());
    for (Call c : calls) {
      c.headers().forEach((name, values) -> assertFalse(values.toString().contains(invokeA)
          || values.toString().contains(Http.TEST_ADMIN_KEY), name + " carried the caller's key"));
    }
  }

  @Test
  void keysTravelAsTheFnCliSendsThem() {
    // fn sends FN_TOKEN as "Authorization: Bearer <token>"; the scheme is case-insensitive.
    Http.Reply lower = http.withKey(null).send("GET", "/v2/apps/" + id(appA), null,
        Map.of("Authorization", "bearer " + deployA));
    assertEquals(200, lower.status(), lower.toString());
    Http.Reply basic = http.withKey(null).send("GET", "/v2/apps/" + id(appA), null,
        Map.of("Authorization", "Basic " + deployA));
    assertEquals(401, basic.status(), basic.toString());
  }

  @Test
  void aKeyLearnsItsOwnRoleAndApp() {
    Http.Reply deploy = http.withKey(deployA).get("/cleave/v1/keys/self");
    assertEquals(200, deploy.status(), deploy.toString());
    assertEquals("deploy", deploy.json().path("role").asText());
    assertEquals(appA.path("name").asText(), deploy.json().path("app_name").asText());
    assertEquals(deployA.split("_")[1], deploy.json().path("id").asText());
    assertFalse(deploy.text().contains(deployA), "the key's text is never answered again");
    Http.Reply admin = http.get("/cleave/v1/keys/self");
    assertEquals("admin", admin.json().path("role").asText(), admin.toString());
    assertFalse(admin.json().has("app_id"), admin.toString());
  }

  @Test
  void aMetricsKeyScrapesAndNothingElse() {
    Http.Reply made = http.post("/cleave/v1/keys", "{\"role\":\"metrics\"}");
    assertEquals(200, made.status(), made.toString());
    Http scraper = http.withKey(made.json().path("key").asText());
    assertEquals(200, scraper.get("/metrics").status());
    assertEquals(403, scraper.get("/v2/apps").status());
    assertNotNull(made.json().path("created_at").asText(null));
  }
}
