package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.bundle.Archives;
import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.id.Ulid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The Fn v2 management API over real HTTP against a started server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiContractTest {
  private static final Pattern FN_TIME = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

  private Path data;
  private ServerComposition server;
  private Http http;

  @BeforeAll
  void start() throws Exception {
    data = Files.createTempDirectory("cleave-api");
    server = TestServers.start(TestServers.config(data).withLimits(6 * ServerConfig.MB, ServerConfig.MB, 2 * ServerConfig.MB,
        new UnpackLimits(8 * ServerConfig.MB, 500)), null);
    http = new Http(server.url());
  }

  @AfterAll
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    TestServers.deleteTree(data);
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private JsonNode createApp(String name) {
    Http.Reply r = http.post("/v2/apps", "{\"name\":\"" + name + "\"}");
    assertEquals(200, r.status(), r.toString());
    return r.json();
  }

  private JsonNode createFn(String appId, String name) {
    Http.Reply r = http.post("/v2/fns", "{\"name\":\"" + name + "\",\"app_id\":\"" + appId + "\"}");
    assertEquals(200, r.status(), r.toString());
    return r.json();
  }

  private JsonNode createTrigger(String appId, String fnId, String name, String source) {
    Http.Reply r = http.post("/v2/triggers", "{\"name\":\"" + name + "\",\"app_id\":\"" + appId + "\",\"fn_id\":\""
        + fnId + "\",\"type\":\"http\",\"source\":\"" + source + "\"}");
    assertEquals(200, r.status(), r.toString());
    return r.json();
  }

  private void assertError(Http.Reply r, int status, String message) {
    assertEquals(status, r.status(), r.toString());
    assertEquals(message, r.message(), r.toString());
    assertFalse(r.text().contains("Exception"), "no stack trace in " + r);
  }

  @Test
  void pingVersionAndCallIdOnEveryResponse() {
    Http.Reply ping = http.get("/");
    assertEquals(200, ping.status());
    assertEquals("world!", ping.json().path("hello").asText());
    Http.Reply version = http.get("/version");
    assertEquals("test", version.json().path("version").asText());
    assertTrue(Ulid.isValid(ping.header("Fn-Call-Id")), ping.header("Fn-Call-Id"));
    Http.Reply missing = http.get("/no/such/path");
    assertError(missing, 404, "Path not found: GET /no/such/path");
    assertTrue(Ulid.isValid(missing.header("Fn-Call-Id")));
  }

  @Test
  void unknownPathsMethodsAndRemovedRoutesAnswerAsFn() {
    // Fn quotes the method and the (decoded) path, without the query.
    assertError(http.get("/v2/nosuch?x=1"), 404, "Path not found: GET /v2/nosuch");
    assertError(http.get("/v2/no%20such"), 404, "Path not found: GET /v2/no such");
    assertError(http.send("PATCH", "/v2/apps", "{}".getBytes(), Map.of()), 405, "Method not allowed: PATCH /v2/apps");
    assertError(http.send("PATCH", "/v2/fns/abc", "{}".getBytes(), Map.of()), 405, "Method not allowed: PATCH /v2/fns/abc");
    assertError(http.get("/invoke/abc"), 405, "Method not allowed: GET /invoke/abc");
    assertEquals(0, http.get("/v2/apps?name=abc").json().path("items").size());

    // Fn's calls API is gone (410); the v1-era app routes and calls were never v2 paths (404, as in Fn).
    String appId = createApp(unique("gone")).path("id").asText();
    String fnId = createFn(appId, "f").path("id").asText();
    for (String path : List.of("/v2/fns/" + fnId + "/calls", "/v2/fns/" + fnId + "/calls/" + Ulid.next(),
        "/v2/fns/" + fnId + "/calls/" + Ulid.next() + "/log")) {
      Http.Reply gone = http.get(path);
      assertEquals(410, gone.status(), gone.toString());
      assertTrue(gone.message().startsWith("Gone: GET " + path), gone.toString());
      assertTrue(gone.message().contains("/cleave/v1/activations"), gone.toString());
    }
    assertError(http.post("/v2/fns/" + fnId + "/calls", "{}"), 405, "Method not allowed: POST /v2/fns/" + fnId + "/calls");
    assertError(http.get("/v2/apps/" + appId + "/routes"), 404, "Path not found: GET /v2/apps/" + appId + "/routes");
    assertError(http.get("/v2/apps/" + appId + "/calls"), 404, "Path not found: GET /v2/apps/" + appId + "/calls");
  }

  @Test
  void appLifecycle() {
    String name = unique("app");
    Http.Reply created = http.post("/v2/apps",
        "{\"name\":\"" + name + "\",\"config\":{\"A\":\"1\",\"B\":\"2\"},\"annotations\":{\"team\":\"x\"},\"unknown\":7}");
    assertEquals(200, created.status(), created.toString());
    JsonNode app = created.json();
    String id = app.path("id").asText();
    assertTrue(Ulid.isValid(id), id);
    assertEquals(name, app.path("name").asText());
    assertEquals("1", app.path("config").path("A").asText());
    assertEquals("x", app.path("annotations").path("team").asText());
    assertTrue(FN_TIME.matcher(app.path("created_at").asText()).matches(), app.toString());
    assertEquals(app.path("created_at"), app.path("updated_at"));
    assertFalse(app.has("unknown"));

    JsonNode got = http.get("/v2/apps/" + id + "?whatever=1").json();
    assertEquals(app, got);

    // Merge-patch: "" deletes a config key or an annotation, others are set or kept.
    Http.Reply updated = http.put("/v2/apps/" + id,
        "{\"config\":{\"A\":\"\",\"C\":\"3\"},\"annotations\":{\"team\":\"\",\"tier\":{\"n\":1}}}");
    assertEquals(200, updated.status(), updated.toString());
    JsonNode u = updated.json();
    assertFalse(u.path("config").has("A"));
    assertEquals("2", u.path("config").path("B").asText());
    assertEquals("3", u.path("config").path("C").asText());
    assertFalse(u.path("annotations").has("team"));
    assertEquals(1, u.path("annotations").path("tier").path("n").asInt());
    assertEquals(app.path("created_at"), u.path("created_at"));
    assertTrue(u.path("updated_at").asText().compareTo(app.path("updated_at").asText()) > 0);
    assertEquals(u, http.get("/v2/apps/" + id).json());

    // An update that changes nothing keeps updated_at.
    assertEquals(u.path("updated_at"), http.put("/v2/apps/" + id, "{\"config\":{\"B\":\"2\"}}").json().path("updated_at"));

    assertError(http.put("/v2/apps/" + id, "{\"name\":\"other\"}"), 409, "Could not update - name is immutable");
    assertError(http.put("/v2/apps/" + id, "{\"id\":\"" + Ulid.next() + "\"}"), 400,
        "App ID in path does not match ID in body");
    assertEquals(200, http.put("/v2/apps/" + id, "{\"name\":\"" + name + "\",\"id\":\"" + id + "\"}").status());

    assertEquals(204, http.delete("/v2/apps/" + id).status());
    assertError(http.get("/v2/apps/" + id), 404, "App not found");
    assertError(http.delete("/v2/apps/" + id), 404, "App not found");
    assertError(http.put("/v2/apps/" + id, "{}"), 404, "App not found");
    // The name is free again.
    assertEquals(200, http.post("/v2/apps", "{\"name\":\"" + name + "\"}").status());
  }

  @Test
  void appValidation() {
    assertError(http.post("/v2/apps", "{}"), 400, "Missing Name");
    assertError(http.post("/v2/apps", "{\"name\":\"\"}"), 400, "Missing Name");
    assertError(http.post("/v2/apps", "{\"name\":\"&&%@!\"}"), 400, "Invalid app name");
    assertError(http.post("/v2/apps", "{\"name\":\"a b\"}"), 400, "Invalid app name");
    assertError(http.post("/v2/apps", "{\"name\":\"" + "a".repeat(256) + "\"}"), 400,
        "App name must be 255 characters or less");
    assertEquals(200, http.post("/v2/apps", "{\"name\":\"" + unique("b".repeat(240)) + "\"}").status());
    assertError(http.post("/v2/apps", "{\"name\":\"x\",\"id\":\"" + Ulid.next() + "\"}"), 400,
        "App ID cannot be supplied on create");
    assertError(http.post("/v2/apps", "{\"name\":\"x\",\"annotations\":{\"\":\"v\"}}"), 400,
        "Invalid annotation key, annotation keys must be non-empty ascii strings excluding whitespace");
    assertError(http.post("/v2/apps", "{\"name\":\"x\",\"annotations\":{\"k\":\"\"}}"), 400,
        "Invalid annotation value, annotation values may only be non-empty strings, numbers, objects, or arrays");
    assertError(http.post("/v2/apps", "{\"name\":\"x\",\"syslog_url\":\"http://nope\"}"), 400,
        "invalid syslog url: \"http://nope\" invalid scheme, only [tcp, udp, unix, unixgram, tcp+tls] are supported");

    Http.Reply malformed = http.post("/v2/apps", "{\"name\": ");
    assertEquals(400, malformed.status());
    assertTrue(malformed.message().startsWith("Invalid JSON"), malformed.toString());
    assertTrue(http.post("/v2/apps", "[1,2]").message().startsWith("Invalid JSON"));
    assertTrue(http.post("/v2/apps", "").message().startsWith("Invalid JSON"));
    Http.Reply wrongType = http.post("/v2/apps", "{\"name\":5}");
    assertEquals(400, wrongType.status());
    assertTrue(wrongType.message().contains("'name' must be a string"), wrongType.toString());
    Http.Reply wrongConfig = http.post("/v2/apps", "{\"name\":\"x\",\"config\":{\"a\":1}}");
    assertEquals(400, wrongConfig.status());
    assertTrue(wrongConfig.message().contains("config"), wrongConfig.toString());
    // None of the refused requests left an app behind.
    assertEquals(0, http.get("/v2/apps?name=x").json().path("items").size());

    String name = unique("dup");
    createApp(name);
    assertError(http.post("/v2/apps", "{\"name\":\"" + name + "\"}"), 409, "App already exists");
  }

  @Test
  void oversizeBodyIs413() {
    String big = "{\"name\":\"big\",\"config\":{\"k\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}}";
    Http.Reply r = http.post("/v2/apps", big);
    // Fn's text when the declared length is over the limit (the API body limit is 1 MB here).
    assertError(r, 413, "Content-Length too large for this server, " + big.length() + " > max " + ServerConfig.MB);
    assertEquals(0, http.get("/v2/apps?name=big").json().path("items").size());
    // Without a declared length (chunked), the body is cut off while read: Fn's other text.
    Http.Reply chunked = http.sendChunked("POST", "/v2/apps", big.getBytes());
    assertError(chunked, 413, "Request content too large");
    assertEquals(0, http.get("/v2/apps?name=big").json().path("items").size());
  }

  @Test
  void appPaginationAndFilter() {
    String prefix = unique("page");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      names.add(prefix + "-" + (char) ('a' + (6 - i)));
    }
    names.forEach(this::createApp);
    names.sort(String::compareTo);

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Http.Reply r = http.get("/v2/apps?per_page=3" + (cursor == null ? "" : "&cursor=" + cursor));
      assertEquals(200, r.status());
      JsonNode body = r.json();
      JsonNode items = body.path("items");
      assertTrue(items.size() <= 3);
      items.forEach(a -> seen.add(a.path("name").asText()));
      cursor = body.has("next_cursor") ? body.path("next_cursor").asText() : null;
      pages++;
    } while (cursor != null && pages < 100);
    List<String> ours = seen.stream().filter(n -> n.startsWith(prefix)).toList();
    assertEquals(names, ours);
    List<String> sorted = new ArrayList<>(seen);
    sorted.sort(String::compareTo);
    assertEquals(sorted, seen, "ordered by name");

    JsonNode one = http.get("/v2/apps?name=" + names.get(2)).json();
    assertEquals(1, one.path("items").size());
    assertEquals(names.get(2), one.path("items").get(0).path("name").asText());
    assertEquals(0, http.get("/v2/apps?name=" + prefix + "-zzz").json().path("items").size());

    // per_page defaults to 30, is capped at 100, and junk means the default.
    for (int i = 0; i < 31; i++) {
      createApp(prefix + "-bulk-" + i);
    }
    assertEquals(30, http.get("/v2/apps").json().path("items").size());
    assertEquals(30, http.get("/v2/apps?per_page=junk").json().path("items").size());
    assertTrue(http.get("/v2/apps?per_page=1000").json().path("items").size() <= 100);
    assertError(http.get("/v2/apps?cursor=***"), 400, "Invalid cursor");
  }

  @Test
  void fnLifecycleDefaultsAndLimits() {
    JsonNode app = createApp(unique("fnapp"));
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
    assertEquals(server.url() + "/invoke/" + id,
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
    String appId = createApp(unique("mem")).path("id").asText();
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
    String appId = createApp(unique("img")).path("id").asText();
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
    String fId = createFn(appId, "f").path("id").asText();
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
  void configEmptyValueIsStoredOnCreateAndDeletesOnUpdate() {
    Http.Reply app = http.post("/v2/apps", "{\"name\":\"" + unique("cfg") + "\",\"config\":{\"a\":\"\",\"b\":\"x\"}}");
    assertEquals(200, app.status(), app.toString());
    assertTrue(app.json().path("config").has("a"), app.toString());
    assertEquals("", app.json().path("config").path("a").asText());
    String appId = app.json().path("id").asText();
    assertTrue(http.get("/v2/apps/" + appId).json().path("config").has("a"));
    JsonNode u = http.put("/v2/apps/" + appId, "{\"config\":{\"a\":\"\"}}").json();
    assertFalse(u.path("config").has("a"), u.toString());
    assertEquals("x", u.path("config").path("b").asText());

    Http.Reply fn = http.post("/v2/fns", "{\"name\":\"f\",\"app_id\":\"" + appId + "\",\"config\":{\"E\":\"\"}}");
    assertEquals(200, fn.status(), fn.toString());
    assertEquals("", fn.json().path("config").path("E").asText("missing"));
    String fnId = fn.json().path("id").asText();
    assertTrue(http.get("/v2/fns/" + fnId).json().path("config").has("E"));
    assertFalse(http.put("/v2/fns/" + fnId, "{\"config\":{\"E\":\"\"}}").json().path("config").has("E"));
  }

  @Test
  void appShapeIsValidatedStoredAndKept() {
    for (String shape : List.of("GENERIC_X86", "GENERIC_ARM", "GENERIC_X86_ARM")) {
      Http.Reply r = http.post("/v2/apps", "{\"name\":\"" + unique("shape") + "\",\"shape\":\"" + shape + "\"}");
      assertEquals(200, r.status(), r.toString());
      assertEquals(shape, r.json().path("shape").asText());
    }
    String name = unique("shape");
    assertError(http.post("/v2/apps", "{\"name\":\"" + name + "\",\"shape\":\"GENERIC_RISCV\"}"), 400, "Invalid app shape");
    assertError(http.post("/v2/apps", "{\"name\":\"" + name + "\",\"shape\":\"generic_x86\"}"), 400, "Invalid app shape");
    assertEquals(0, http.get("/v2/apps?name=" + name).json().path("items").size(), "refused creates left nothing");

    JsonNode app = http.post("/v2/apps", "{\"name\":\"" + name + "\",\"shape\":\"GENERIC_ARM\"}").json();
    String appId = app.path("id").asText();
    assertEquals(app, http.get("/v2/apps/" + appId).json());
    assertEquals("GENERIC_ARM", http.get("/v2/apps?name=" + name).json().path("items").get(0).path("shape").asText());
    // As in Fn, an update keeps the shape whatever the body says (and updates nothing else for it).
    Http.Reply changed = http.put("/v2/apps/" + appId, "{\"shape\":\"GENERIC_X86\"}");
    assertEquals(200, changed.status(), changed.toString());
    assertEquals(app, changed.json());
    assertEquals("GENERIC_ARM", http.get("/v2/apps/" + appId).json().path("shape").asText());

    // Functions carry their app's shape, as Fn copies it.
    JsonNode fn = createFn(appId, "f");
    assertEquals("GENERIC_ARM", fn.path("shape").asText());
    assertEquals("GENERIC_ARM", http.get("/v2/fns/" + fn.path("id").asText()).json().path("shape").asText());
    assertEquals("GENERIC_ARM", http.get("/v2/fns?app_id=" + appId).json().path("items").get(0).path("shape").asText());
    JsonNode plain = createApp(unique("noshape"));
    assertFalse(plain.has("shape"), plain.toString());
  }

  @Test
  void fnListNeedsAppAndPages() {
    String appId = createApp(unique("fnlist")).path("id").asText();
    String otherApp = createApp(unique("fnlist")).path("id").asText();
    for (String n : List.of("c", "a", "b", "d")) {
      createFn(appId, n);
    }
    createFn(otherApp, "a");
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

  private static List<String> names(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.path("items").forEach(i -> out.add(i.path("name").asText()));
    return out;
  }

  @Test
  void triggerLifecycleAndUniqueness() {
    String appName = unique("tapp");
    String appId = createApp(appName).path("id").asText();
    String fnId = createFn(appId, "f1").path("id").asText();
    String fn2 = createFn(appId, "f2").path("id").asText();
    JsonNode t = createTrigger(appId, fnId, "t1", "/hello");
    String id = t.path("id").asText();
    assertTrue(Ulid.isValid(id));
    assertEquals("http", t.path("type").asText());
    assertEquals("/hello", t.path("source").asText());
    assertEquals(server.url() + "/t/" + appName + "/hello",
        t.path("annotations").path("fnproject.io/trigger/httpEndpoint").asText());
    assertEquals(t, http.get("/v2/triggers/" + id).json());

    String base = "{\"app_id\":\"" + appId + "\",\"fn_id\":\"" + fnId + "\",\"type\":\"http\"";
    assertError(http.post("/v2/triggers", base + ",\"name\":\"t1\",\"source\":\"/other\"}"), 409, "Trigger already exists");
    assertError(http.post("/v2/triggers", base + ",\"name\":\"t2\",\"source\":\"/hello\"}"), 409,
        "Trigger with the same type and source exists on this app");
    assertError(http.post("/v2/triggers", base + ",\"name\":\"t2\",\"source\":\"nope\"}"), 400,
        "Missing Trigger Source Prefix '/'");
    assertError(http.post("/v2/triggers", base + ",\"name\":\"t2\"}"), 400, "Missing Trigger Source");
    assertError(http.post("/v2/triggers", base + ",\"source\":\"/x\"}"), 400, "Missing name on Trigger");
    assertError(http.post("/v2/triggers", base + ",\"name\":\"&&%\",\"source\":\"/x\"}"), 400, "Invalid name for Trigger");
    assertError(http.post("/v2/triggers", "{\"app_id\":\"" + appId + "\",\"fn_id\":\"" + fnId
        + "\",\"type\":\"cron\",\"name\":\"t2\",\"source\":\"/x\"}"), 400, "Trigger Type Not Supported");
    assertError(http.post("/v2/triggers", "{\"fn_id\":\"" + fnId + "\",\"type\":\"http\",\"name\":\"t2\",\"source\":\"/x\"}"),
        400, "Missing App ID on Trigger");
    assertError(http.post("/v2/triggers", "{\"app_id\":\"" + appId + "\",\"type\":\"http\",\"name\":\"t2\",\"source\":\"/x\"}"),
        400, "Missing Fn ID on Trigger");
    assertError(http.post("/v2/triggers", base + ",\"name\":\"t2\",\"source\":\"/x\",\"id\":\"" + Ulid.next() + "\"}"),
        400, "ID cannot be provided for Trigger creation");
    assertError(http.post("/v2/triggers", "{\"app_id\":\"" + appId + "\",\"fn_id\":\"" + Ulid.next()
        + "\",\"type\":\"http\",\"name\":\"t2\",\"source\":\"/x\"}"), 404, "Fn not found");
    String otherApp = createApp(unique("tother")).path("id").asText();
    String otherFn = createFn(otherApp, "f").path("id").asText();
    assertError(http.post("/v2/triggers", "{\"app_id\":\"" + appId + "\",\"fn_id\":\"" + otherFn
        + "\",\"type\":\"http\",\"name\":\"t2\",\"source\":\"/x\"}"), 400, "Invalid Fn ID - not owned by specified app");
    // Go clients (the fn CLI) send the zero time for unset timestamps: that is "not given".
    Http.Reply zero = http.post("/v2/triggers", base + ",\"name\":\"tz\",\"source\":\"/zero\","
        + "\"created_at\":\"0001-01-01T00:00:00.000Z\",\"updated_at\":\"0001-01-01T00:00:00.000Z\"}");
    assertEquals(200, zero.status(), zero.toString());
    assertEquals(204, http.delete("/v2/triggers/" + zero.json().path("id").asText()).status());
    assertError(http.post("/v2/triggers", base + ",\"name\":\"t3\",\"source\":\"/t3\",\"created_at\":\"2020-01-01T00:00:00Z\"}"),
        400, "Trigger Created At Provided for Create");
    // The same source on another app is fine.
    createTrigger(otherApp, otherFn, "t1", "/hello");

    JsonNode t2 = createTrigger(appId, fn2, "t2", "/two");
    Http.Reply renamed = http.put("/v2/triggers/" + id, "{\"name\":\"t1b\",\"source\":\"/hello2\",\"fn_id\":\"" + fn2 + "\"}");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals("t1b", renamed.json().path("name").asText());
    assertEquals("/hello2", renamed.json().path("source").asText());
    assertEquals(fn2, renamed.json().path("fn_id").asText());
    assertError(http.put("/v2/triggers/" + id, "{\"source\":\"/two\"}"), 409,
        "Trigger with the same type and source exists on this app");
    assertError(http.put("/v2/triggers/" + id, "{\"name\":\"t2\"}"), 409, "Trigger already exists");
    assertError(http.put("/v2/triggers/" + id, "{\"id\":\"" + Ulid.next() + "\"}"), 400, "ID in path does not match ID in body");
    assertError(http.put("/v2/triggers/" + id, "{\"fn_id\":\"" + otherFn + "\"}"), 400,
        "Invalid Fn ID - not owned by specified app");
    // The old name and source were released by the rename.
    createTrigger(appId, fnId, "t1", "/hello");

    assertError(http.get("/v2/triggers"), 400, "Missing App ID on Trigger");
    assertEquals(List.of("t1", "t1b", "t2"), names(http.get("/v2/triggers?app_id=" + appId).json()));
    assertEquals(List.of("t1b", "t2"), names(http.get("/v2/triggers?app_id=" + appId + "&fn_id=" + fn2).json()));
    assertEquals(List.of("t2"), names(http.get("/v2/triggers?app_id=" + appId + "&name=t2").json()));

    assertEquals(204, http.delete("/v2/triggers/" + t2.path("id").asText()).status());
    assertError(http.get("/v2/triggers/" + t2.path("id").asText()), 404, "Trigger not found");
    assertError(http.delete("/v2/triggers/" + t2.path("id").asText()), 404, "Trigger not found");

    // Deleting a function deletes its triggers; deleting the app deletes everything under it.
    assertEquals(204, http.delete("/v2/fns/" + fn2).status());
    assertError(http.get("/v2/triggers/" + id), 404, "Trigger not found");
    assertEquals(204, http.delete("/v2/apps/" + appId).status());
    assertError(http.get("/v2/fns/" + fnId), 404, "Fn not found");
    assertEquals(List.of(), names(http.get("/v2/triggers?app_id=" + appId).json()));
    assertEquals(List.of(), names(http.get("/v2/fns?app_id=" + appId).json()));
  }

  @Test
  void triggerNamesAreUniquePerFnAndSourcesPerApp() {
    String appId = createApp(unique("tscope")).path("id").asText();
    String f1 = createFn(appId, "f1").path("id").asText();
    String f2 = createFn(appId, "f2").path("id").asText();
    String f3 = createFn(appId, "f3").path("id").asText();
    String a = createTrigger(appId, f1, "t", "/one").path("id").asText();
    String b = createTrigger(appId, f2, "t", "/two").path("id").asText();
    String c = createTrigger(appId, f3, "t", "/three").path("id").asText();
    String body = "{\"app_id\":\"" + appId + "\",\"fn_id\":\"" + f1 + "\",\"type\":\"http\"";
    assertError(http.post("/v2/triggers", body + ",\"name\":\"t\",\"source\":\"/other\"}"), 409, "Trigger already exists");
    // Sources stay unique per app across functions.
    assertError(http.post("/v2/triggers", body + ",\"name\":\"u\",\"source\":\"/two\"}"), 409,
        "Trigger with the same type and source exists on this app");

    JsonNode byName = http.get("/v2/triggers?app_id=" + appId + "&name=t").json();
    assertEquals(3, byName.path("items").size(), byName.toString());
    assertEquals(1, http.get("/v2/triggers?app_id=" + appId + "&name=t&fn_id=" + f2).json().path("items").size());
    // Paging one by one visits each of the same-named triggers once.
    List<String> seen = new ArrayList<>();
    String cursor = null;
    for (int i = 0; i < 10; i++) {
      JsonNode page = http.get("/v2/triggers?app_id=" + appId + "&per_page=1" + (cursor == null ? "" : "&cursor=" + cursor)).json();
      page.path("items").forEach(t -> seen.add(t.path("id").asText()));
      if (!page.has("next_cursor")) {
        break;
      }
      cursor = page.path("next_cursor").asText();
    }
    assertEquals(List.of(a, b, c).stream().sorted().toList(), seen.stream().sorted().toList());
    assertEquals(3, seen.size());
    // Same with a name filter.
    JsonNode first = http.get("/v2/triggers?app_id=" + appId + "&name=t&per_page=2").json();
    assertEquals(2, first.path("items").size());
    JsonNode rest = http.get("/v2/triggers?app_id=" + appId + "&name=t&per_page=2&cursor=" + first.path("next_cursor").asText()).json();
    assertEquals(1, rest.path("items").size(), rest.toString());

    // Moving a trigger onto a function that has a trigger of that name is refused; elsewhere it is fine.
    String u = createTrigger(appId, f1, "u", "/u").path("id").asText();
    JsonNode uBefore = http.get("/v2/triggers/" + u).json();
    assertError(http.put("/v2/triggers/" + u, "{\"name\":\"t\"}"), 409, "Trigger already exists");
    assertEquals(uBefore, http.get("/v2/triggers/" + u).json());
    assertEquals(200, http.put("/v2/triggers/" + a, "{\"fn_id\":\"" + f1 + "\",\"name\":\"t\"}").status());
    assertError(http.put("/v2/triggers/" + a, "{\"fn_id\":\"" + f2 + "\"}"), 409, "Trigger already exists");
    // Freed by a move: f1 no longer has "t" once a moves away under another name.
    assertEquals(200, http.put("/v2/triggers/" + a, "{\"fn_id\":\"" + f2 + "\",\"name\":\"t2\"}").status());
    assertEquals(200, http.put("/v2/triggers/" + u, "{\"name\":\"t\"}").status());
    assertEquals(204, http.delete("/v2/triggers/" + b).status());
    createTrigger(appId, f2, "t", "/two");
  }

  @Test
  void concurrentCreatesKeepNamesUnique() throws Exception {
    String name = unique("race");
    int n = 12;
    List<Thread> threads = new ArrayList<>();
    int[] statuses = new int[n];
    for (int i = 0; i < n; i++) {
      int k = i;
      threads.add(started(() -> statuses[k] = http.post("/v2/apps", "{\"name\":\"" + name + "\"}").status()));
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(1, java.util.Arrays.stream(statuses).filter(s -> s == 200).count());
    assertEquals(n - 1, java.util.Arrays.stream(statuses).filter(s -> s == 409).count());
    String appId = http.get("/v2/apps?name=" + name).json().path("items").get(0).path("id").asText();

    threads.clear();
    for (int i = 0; i < n; i++) {
      int k = i;
      threads.add(started(() -> statuses[k] =
          http.post("/v2/fns", "{\"name\":\"same\",\"app_id\":\"" + appId + "\"}").status()));
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(1, java.util.Arrays.stream(statuses).filter(s -> s == 200).count());
    assertEquals(1, http.get("/v2/fns?app_id=" + appId).json().path("items").size());
  }

  private static Thread started(Runnable r) {
    Thread t = new Thread(r);
    t.start();
    return t;
  }

  @Test
  void invokeRoutesWithoutInvokerAnswer503() {
    String appName = unique("noinv");
    String appId = createApp(appName).path("id").asText();
    String fnId = createFn(appId, "f").path("id").asText();
    createTrigger(appId, fnId, "t", "/go");
    Http.Reply invoke = http.post("/invoke/" + fnId, "{}");
    assertError(invoke, 503, "no invoker on this node");
    assertTrue(Ulid.isValid(invoke.header("Fn-Call-Id")));
    assertError(http.post("/t/" + appName + "/go", "x"), 503, "no invoker on this node");
    assertError(http.post("/invoke/" + Ulid.next(), "{}"), 404, "Fn not found");
    assertError(http.get("/t/" + appName + "/nowhere"), 404, "Trigger not found");
    assertError(http.get("/t/" + unique("noapp") + "/go"), 404, "App not found");
    assertError(http.get("/cleave/v1/activations"), 503, "no invoker on this node");
    assertError(http.get("/cleave/v1/activations/" + Ulid.next()), 503, "no invoker on this node");
  }

  @Test
  void metricsCountRequestsByRouteAndStatus() {
    http.get("/v2/apps/" + Ulid.next());
    Http.Reply m = http.get("/metrics");
    assertEquals(200, m.status());
    String text = m.text();
    assertTrue(text.contains("cleave_http_requests_total{method=\"GET\",route=\"/v2/apps/:appId\",status=\"404\"}"), text);
    assertTrue(text.contains("cleave_http_request_duration_seconds_bucket{route=\"/v2/apps/:appId\""), text);
    assertTrue(m.header("Content-Type").startsWith("text/plain"));
  }

  @Test
  void bundleUploadStoresByDigestAndSetsImage() throws Exception {
    String appId = createApp(unique("bapp")).path("id").asText();
    String fnId = createFn(appId, "f").path("id").asText();
    byte[] archive = new Archives().file("func.py", "def handler(ctx, data):\n    return 'hi'\n")
        .file("lib/util.py", "X = 1\n").symlink("lib/alias.py", "util.py").bytes();
    String hex = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(archive));

    Http.Reply up = http.send("PUT", "/cleave/v1/fns/" + fnId + "/bundle", archive, Map.of("X-Content-SHA256", hex));
    assertEquals(200, up.status(), up.toString());
    assertEquals("cleave/bundle:sha256-" + hex, up.json().path("image").asText());
    assertEquals("cleave/bundle:sha256-" + hex, http.get("/v2/fns/" + fnId).json().path("image").asText());
    Path stored = data.resolve("bundles/sha256/" + hex + ".tar.gz");
    assertTrue(Files.isRegularFile(stored));

    // The same content for another function is stored once.
    String fn2 = createFn(appId, "g").path("id").asText();
    String digestHeader = "sha-256=" + java.util.Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(hex));
    assertEquals(200, http.send("PUT", "/cleave/v1/fns/" + fn2 + "/bundle", archive, Map.of("Digest", digestHeader)).status());
    try (var files = Files.list(data.resolve("bundles/sha256"))) {
      assertEquals(1, files.filter(p -> p.getFileName().toString().equals(hex + ".tar.gz")).count());
    }

    Http.Reply down = http.get("/cleave/v1/bundles/sha256:" + hex);
    assertEquals(200, down.status());
    assertTrue(java.util.Arrays.equals(archive, down.raw()));
    assertError(http.get("/cleave/v1/bundles/sha256:" + "0".repeat(64)), 404, "bundle sha256:" + "0".repeat(64) + " not found");
    assertEquals(400, http.get("/cleave/v1/bundles/md5:abc").status());

    Http.Reply mismatch = http.send("PUT", "/cleave/v1/fns/" + fnId + "/bundle",
        new Archives().file("func.py", "other").bytes(), Map.of("X-Content-SHA256", hex));
    assertEquals(400, mismatch.status());
    assertTrue(mismatch.message().startsWith("bundle digest mismatch"), mismatch.toString());
    assertError(http.send("PUT", "/cleave/v1/fns/" + Ulid.next() + "/bundle", archive, Map.of()), 404, "Fn not found");
    assertEquals("cleave/bundle:sha256-" + hex, http.get("/v2/fns/" + fnId).json().path("image").asText());
  }

  @Test
  void hostileBundlesAreRefusedAndChangeNothing() throws Exception {
    String appId = createApp(unique("hostile")).path("id").asText();
    JsonNode fn = createFn(appId, "f");
    String fnId = fn.path("id").asText();
    Map<String, byte[]> hostile = new java.util.LinkedHashMap<>();
    hostile.put("absolute path", new Archives().file("/etc/cron.d/evil", "x").bytes());
    hostile.put("dot-dot", new Archives().file("ok.py", "x").file("../../evil.py", "x").bytes());
    hostile.put("symlink out", new Archives().symlink("etc", "../../../etc").bytes());
    hostile.put("absolute symlink", new Archives().symlink("passwd", "/etc/passwd").bytes());
    hostile.put("hardlink out", new Archives().hardlink("shadow", "/etc/shadow").bytes());
    hostile.put("hardlink dot-dot", new Archives().hardlink("x", "../x").bytes());
    hostile.put("write through symlink", new Archives().symlink("d", "sub").file("d/f.py", "x").bytes());
    hostile.put("char device", new Archives().special("dev/null", org.apache.commons.compress.archivers.tar.TarConstants.LF_CHR).bytes());
    hostile.put("block device", new Archives().special("sda", org.apache.commons.compress.archivers.tar.TarConstants.LF_BLK).bytes());
    hostile.put("fifo", new Archives().special("pipe", org.apache.commons.compress.archivers.tar.TarConstants.LF_FIFO).bytes());
    hostile.put("not gzip", "just some text, not an archive".getBytes());
    hostile.put("truncated", java.util.Arrays.copyOf(new Archives().file("a.py", "x".repeat(5000)).bytes(), 60));
    hostile.put("empty archive", new Archives().bytes());
    hostile.put("decompression bomb", new Archives().zeros("zeros.bin", 9L * 1024 * 1024).bytes());
    Archives many = new Archives();
    for (int i = 0; i < 501; i++) {
      many.file("f" + i + ".py", "x");
    }
    hostile.put("too many entries", many.bytes());
    for (var e : hostile.entrySet()) {
      Http.Reply r = http.send("PUT", "/cleave/v1/fns/" + fnId + "/bundle", e.getValue(), Map.of());
      assertEquals(400, r.status(), e.getKey() + ": " + r);
      assertFalse(r.message().isEmpty(), e.getKey());
      assertFalse(r.text().contains("Exception"), e.getKey() + ": " + r);
    }
    assertEquals(fn.path("image"), http.get("/v2/fns/" + fnId).json().path("image"));
    try (var files = Files.list(data.resolve("bundles/sha256"))) {
      for (Path p : files.toList()) {
        assertNotEquals(0, Files.size(p));
      }
    }
    try (var files = Files.list(data.resolve("bundles/incoming"))) {
      assertEquals(0, files.count(), "no partial uploads left behind");
    }
  }

  @Test
  void oversizeBundleIs413() throws Exception {
    String appId = createApp(unique("bigbundle")).path("id").asText();
    String fnId = createFn(appId, "f").path("id").asText();
    byte[] random = new byte[3 * 1024 * 1024];
    new java.util.Random(7).nextBytes(random);
    byte[] archive = new Archives().file("blob.bin", random, 0644).bytes();
    Http.Reply r = http.send("PUT", "/cleave/v1/fns/" + fnId + "/bundle", archive, Map.of());
    assertEquals(413, r.status(), r.toString());
    assertTrue(r.message().startsWith("bundle larger than the limit"), r.toString());
    assertEquals("", http.get("/v2/fns/" + fnId).json().path("image").asText());
    try (var files = Files.list(data.resolve("bundles/incoming"))) {
      assertEquals(0, files.count(), "no partial uploads left behind");
    }
  }

  @Test
  void invokeBodyLimitIs413() {
    String appId = createApp(unique("limit")).path("id").asText();
    String fnId = createFn(appId, "f").path("id").asText();
    Http.Reply r = http.send("POST", "/invoke/" + fnId, new byte[7 * 1024 * 1024], Map.of());
    assertEquals(413, r.status(), r.toString());
    assertEquals("Content-Length too large for this server, " + 7 * 1024 * 1024 + " > max " + 6 * ServerConfig.MB, r.message());
    assertNotNull(r.header("Fn-Call-Id"));
  }
}
