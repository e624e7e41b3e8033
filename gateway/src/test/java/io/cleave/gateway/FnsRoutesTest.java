package io.cleave.gateway;

import static io.cleave.gateway.GatewayFixture.FN_TIME;
import static io.cleave.gateway.GatewayFixture.assertError;
import static io.cleave.gateway.GatewayFixture.names;
import static io.cleave.gateway.GatewayFixture.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.bundle.Archives;
import io.cleave.common.http.Http;
import io.cleave.common.id.Ulid;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fn's {@code /v2/fns} over HTTP: lifecycle, defaults and limits, bundle images, paging, the removed calls API. */
class FnsRoutesTest extends GatewayTestBase {
  @Test
  void fnLifecycleDefaultsAndLimits() {
    JsonNode app = gateway.createApp(unique("fnapp"));
    String appId = app.path("id").asText();
    Http.Reply created = http.post("/v2/fns", "{\"name\":\"hello\",\"app_id\":\"" + appId
        + "\",\"config\":{\"K\":\"V\"},\"shape\":\"GENERIC_X86\"}");
    assertEquals(200, created.status(), created.toString());
    JsonNode fn = created.json();
    String id = fn.path("id").asText();
    assertTrue(Ulid.isValid(id));
    assertEquals(appId, fn.path("app_id").asText());
    assertEquals(128, fn.path("memory").asInt());
    assertEquals(30, fn.path("timeout").asInt());
    assertEquals(30, fn.path("idle_timeout").asInt());
    assertEquals(1, fn.path("concurrency").asInt());
    assertEquals("", fn.path("image").asText(), "no code until a bundle is uploaded");
    assertFalse(fn.has("shape"), "a function's shape is its app's (none here), whatever the body says: " + fn);
    assertEquals("V", fn.path("config").path("K").asText());
    assertEquals(gateway.url() + "/invoke/" + id,
        fn.path("annotations").path("fnproject.io/fn/invokeEndpoint").asText());
    assertTrue(FN_TIME.matcher(fn.path("created_at").asText()).matches());
    assertEquals(fn, http.get("/v2/fns/" + id).json());

    Http.Reply updated = http.put("/v2/fns/" + id,
        "{\"memory\":256,\"timeout\":60,\"idle_timeout\":120,\"concurrency\":4,\"config\":{\"K\":\"\",\"L\":\"W\"},"
            + "\"name\":\"renamed\",\"app_id\":\"" + Ulid.next() + "\"}");
    assertEquals(200, updated.status(), updated.toString());
    JsonNode u = updated.json();
    assertEquals(256, u.path("memory").asInt());
    assertEquals(60, u.path("timeout").asInt());
    assertEquals(120, u.path("idle_timeout").asInt());
    assertEquals(4, u.path("concurrency").asInt());
    assertFalse(u.path("config").has("K"));
    assertEquals("W", u.path("config").path("L").asText());
    assertEquals("hello", u.path("name").asText(), "name is not changed by an update, as in Fn");
    assertEquals(appId, u.path("app_id").asText(), "app_id is not changed by an update, as in Fn");

    // What a client read back (the fn CLI sends the whole object) updates nothing it should not.
    JsonNode sentBack = u.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) sentBack.path("annotations"))
        .put("fnproject.io/fn/invokeEndpoint", "http://elsewhere:1/invoke/" + id);
    Http.Reply roundTrip = http.put("/v2/fns/" + id, sentBack.toString());
    assertEquals(200, roundTrip.status(), roundTrip.toString());
    assertEquals(u, roundTrip.json(), "nothing changed, updated_at kept, endpoint from this request");

    assertError(http.put("/v2/fns/" + id, "{\"memory\":8193}"), 400,
        "memory value is out of range. It should be between 0 and 8192");
    assertError(http.put("/v2/fns/" + id, "{\"memory\":-1}"), 400,
        "memory value is out of range. It should be between 0 and 8192");
    assertError(http.put("/v2/fns/" + id, "{\"memory\":100000000000}"), 400,
        "memory value is out of range. It should be between 0 and 8192");
    assertError(http.put("/v2/fns/" + id, "{\"timeout\":301}"), 400,
        "timeout value is out of range, must be between 0 and 300");
    assertError(http.put("/v2/fns/" + id, "{\"timeout\":-1}"), 400,
        "timeout value is out of range, must be between 0 and 300");
    assertError(http.put("/v2/fns/" + id, "{\"idle_timeout\":3601}"), 400,
        "idle_timeout value is out of range, must be between 0 and 3600");
    assertError(http.put("/v2/fns/" + id, "{\"idle_timeout\":-5}"), 400,
        "idle_timeout value is out of range, must be between 0 and 3600");
    assertError(http.put("/v2/fns/" + id, "{\"concurrency\":-2}"), 400,
        "concurrency value is out of range, must be between 0 and 1000");
    assertError(http.put("/v2/fns/" + id, "{\"id\":\"" + Ulid.next() + "\"}"), 400,
        "Fn ID in path does not match that in body");
    assertTrue(http.put("/v2/fns/" + id, "{\"memory\":\"lots\"}").message().startsWith("Invalid JSON"));
    assertEquals(u, http.get("/v2/fns/" + id).json(), "refused updates changed nothing");

    assertError(http.post("/v2/fns", "{\"name\":\"hello\",\"app_id\":\"" + appId + "\"}"), 409,
        "Fn with specified name already exists");
    assertError(http.post("/v2/fns", "{\"name\":\"x\"}"), 400, "Missing AppID on Fn");
    assertError(http.post("/v2/fns", "{\"app_id\":\"" + appId + "\"}"), 400, "Missing Fn name");
    assertError(http.post("/v2/fns", "{\"name\":\"a/b\",\"app_id\":\"" + appId + "\"}"), 400,
        "name must be a valid string");
    assertError(http.post("/v2/fns", "{\"name\":\"x\",\"app_id\":\"" + Ulid.next() + "\"}"), 404, "App not found");
    assertError(http.post("/v2/fns", "{\"name\":\"x\",\"app_id\":\"" + appId + "\",\"id\":\"" + Ulid.next() + "\"}"),
        400, "ID cannot be provided for Fn creation");
    assertError(http.post("/v2/fns", "{\"name\":\"x\",\"app_id\":\"" + appId + "\",\"image\":\"bundle:sha256:12\"}"),
        400, "Invalid Fn image: a bundle reference is cleave/bundle:sha256-<64 hex digits>");
    assertError(http.post("/v2/fns", "{\"name\":\"x\",\"app_id\":\"" + appId + "\",\"memory\":100000}"), 400,
        "memory value is out of range. It should be between 0 and 8192");
    assertEquals(List.of("hello"), names(http.get("/v2/fns?app_id=" + appId).json()), "refused creates left nothing");

    assertEquals(204, http.delete("/v2/fns/" + id).status());
    assertError(http.get("/v2/fns/" + id), 404, "Fn not found");
    assertError(http.delete("/v2/fns/" + id), 404, "Fn not found");
    assertError(http.put("/v2/fns/" + id, "{}"), 404, "Fn not found");
  }

  @Test
  void memoryFromOneMbToEightGbAsFn() {
    String appId = gateway.createApp(unique("mem")).path("id").asText();
    // Fn's own tests use 64 MB; Fn accepts 1..8192 (0 or absent: 128).
    for (int mb : new int[] {1, 64, 8192}) {
      Http.Reply r = http.post("/v2/fns", "{\"name\":\"m" + mb + "\",\"app_id\":\"" + appId + "\",\"memory\":" + mb + "}");
      assertEquals(200, r.status(), r.toString());
      assertEquals(mb, r.json().path("memory").asInt());
    }
    Http.Reply zero = http.post("/v2/fns", "{\"name\":\"m0\",\"app_id\":\"" + appId + "\",\"memory\":0}");
    assertEquals(128, zero.json().path("memory").asInt(), zero.toString());
    String id = zero.json().path("id").asText();
    assertEquals(64, http.put("/v2/fns/" + id, "{\"memory\":64}").json().path("memory").asInt());
    assertEquals(64, http.put("/v2/fns/" + id, "{\"memory\":0}").json().path("memory").asInt(), "0 keeps on update");
    assertError(http.post("/v2/fns", "{\"name\":\"big\",\"app_id\":\"" + appId + "\",\"memory\":8193}"), 400,
        "memory value is out of range. It should be between 0 and 8192");
  }

  @Test
  void fnImageMustBeABundleThisClusterHolds() throws Exception {
    String appId = gateway.createApp(unique("img")).path("id").asText();
    String base = "{\"app_id\":\"" + appId + "\",\"name\":";
    // A container image Cleave cannot run is refused at create, with Fn's text first.
    Http.Reply docker = http.post("/v2/fns", base + "\"d\",\"image\":\"fndemo/hello:0.0.1\"}");
    assertEquals(400, docker.status(), docker.toString());
    assertTrue(docker.message().startsWith("Invalid Fn image: Cleave runs code bundles"), docker.toString());
    assertTrue(docker.message().contains("cleave/bundle:sha256-<64 hex digits>"), docker.toString());
    assertError(http.post("/v2/fns", base + "\"d\",\"image\":\"cleave/bundle:sha256-12\"}"), 400,
        "Invalid Fn image: a bundle reference is cleave/bundle:sha256-<64 hex digits>");
    String absent = "0".repeat(64);
    assertError(http.post("/v2/fns", base + "\"d\",\"image\":\"cleave/bundle:sha256-" + absent + "\"}"), 400,
        "Invalid Fn image: bundle sha256:" + absent + " is not on this cluster; upload the code first"
            + " (PUT /cleave/v1/fns/{id}/bundle, or cleave deploy)");
    assertEquals(List.of(), names(http.get("/v2/fns?app_id=" + appId).json()), "refused creates left nothing");

    // The deploy flow: create without image, then upload the bundle.
    String fId = gateway.createFn(appId, "f").path("id").asText();
    byte[] archive = new Archives().file("func.py", "def handler(ctx, data):\n    return 'img'\n").bytes();
    Http.Reply up = http.send("PUT", "/cleave/v1/fns/" + fId + "/bundle", archive, Map.of());
    assertEquals(200, up.status(), up.toString());
    String image = up.json().path("image").asText();
    String hex = image.substring("cleave/bundle:sha256-".length());

    // A bundle the cluster holds may be named on create and update, in either form.
    Http.Reply g = http.post("/v2/fns", base + "\"g\",\"image\":\"" + image + "\"}");
    assertEquals(200, g.status(), g.toString());
    assertEquals(image, g.json().path("image").asText());
    Http.Reply legacy = http.post("/v2/fns", base + "\"l\",\"image\":\"bundle:sha256:" + hex + "\"}");
    assertEquals(200, legacy.status(), legacy.toString());
    String gId = g.json().path("id").asText();
    JsonNode before = http.get("/v2/fns/" + gId).json();
    assertTrue(http.put("/v2/fns/" + gId, "{\"image\":\"fndemo/hello:0.0.2\"}").message().startsWith("Invalid Fn image"));
    assertEquals(400, http.put("/v2/fns/" + gId, "{\"image\":\"cleave/bundle:sha256-" + absent + "\"}").status());
    assertEquals(400, http.put("/v2/fns/" + gId, "{\"image\":\"cleave/bundle:sha256-" + absent + "\",\"memory\":256}").status());
    assertEquals(before, http.get("/v2/fns/" + gId).json(), "refused updates changed nothing");
    // An empty image keeps the current one, as in Fn; sending the object back unchanged is fine.
    assertEquals(image, http.put("/v2/fns/" + gId, "{\"image\":\"\"}").json().path("image").asText());
    assertEquals(200, http.put("/v2/fns/" + gId, before.toString()).status());
    String fImage = http.put("/v2/fns/" + gId, "{\"image\":\"bundle:sha256:" + hex + "\"}").json().path("image").asText();
    assertEquals("bundle:sha256:" + hex, fImage);
  }

  @Test
  void fnListNeedsAppAndPages() {
    String appId = gateway.createApp(unique("fnlist")).path("id").asText();
    String otherApp = gateway.createApp(unique("fnlist")).path("id").asText();
    for (String n : List.of("c", "a", "b", "d")) {
      gateway.createFn(appId, n);
    }
    gateway.createFn(otherApp, "a");
    assertError(http.get("/v2/fns"), 400, "Missing AppID on Fn");
    JsonNode first = http.get("/v2/fns?app_id=" + appId + "&per_page=2").json();
    assertEquals(List.of("a", "b"), names(first));
    JsonNode second = http.get("/v2/fns?app_id=" + appId + "&per_page=2&cursor=" + first.path("next_cursor").asText()).json();
    assertEquals(List.of("c", "d"), names(second));
    JsonNode third = http.get("/v2/fns?app_id=" + appId + "&per_page=2&cursor=" + second.path("next_cursor").asText()).json();
    assertEquals(List.of(), names(third));
    assertFalse(third.has("next_cursor"));
    assertEquals(List.of("b"), names(http.get("/v2/fns?app_id=" + appId + "&name=b").json()));
    assertEquals(List.of(), names(http.get("/v2/fns?app_id=" + Ulid.next()).json()));
  }

  @Test
  void configEmptyValueIsStoredOnCreateAndDeletesOnUpdate() {
    String appId = gateway.createApp(unique("cfg")).path("id").asText();
    Http.Reply fn = http.post("/v2/fns", "{\"name\":\"f\",\"app_id\":\"" + appId + "\",\"config\":{\"E\":\"\"}}");
    assertEquals(200, fn.status(), fn.toString());
    assertEquals("", fn.json().path("config").path("E").asText("missing"));
    String fnId = fn.json().path("id").asText();
    assertTrue(http.get("/v2/fns/" + fnId).json().path("config").has("E"));
    assertFalse(http.put("/v2/fns/" + fnId, "{\"config\":{\"E\":\"\"}}").json().path("config").has("E"));
  }

  @Test
  void fnCallsApiIsGone() {
    // Fn removed its calls API: 410 on its paths, saying where Cleave's call records are.
    String appId = gateway.createApp(unique("gone")).path("id").asText();
    String fnId = gateway.createFn(appId, "f").path("id").asText();
    for (String path : List.of("/v2/fns/" + fnId + "/calls", "/v2/fns/" + fnId + "/calls/" + Ulid.next(),
        "/v2/fns/" + fnId + "/calls/" + Ulid.next() + "/log")) {
      Http.Reply gone = http.get(path);
      assertEquals(410, gone.status(), gone.toString());
      assertTrue(gone.message().startsWith("Gone: GET " + path), gone.toString());
      assertTrue(gone.message().contains("/cleave/v1/activations"), gone.toString());
    }
    assertError(http.post("/v2/fns/" + fnId + "/calls", "{}"), 405, "Method not allowed: POST /v2/fns/" + fnId + "/calls");
  }
}
