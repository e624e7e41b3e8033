package io.cleave.gateway;

import static io.cleave.gateway.GatewayFixture.FN_TIME;
import static io.cleave.gateway.GatewayFixture.assertError;
import static io.cleave.gateway.GatewayFixture.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.http.Http;
import io.cleave.common.id.Ulid;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fn's {@code /v2/apps} over HTTP: lifecycle, validation texts, merge-patch, paging, shape. */
class AppsRoutesTest extends GatewayTestBase {
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
    gateway.createApp(name);
    assertError(http.post("/v2/apps", "{\"name\":\"" + name + "\"}"), 409, "App already exists");
  }

  @Test
  void appPaginationAndFilter() {
    String prefix = unique("page");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      names.add(prefix + "-" + (char) ('a' + (6 - i)));
    }
    names.forEach(gateway::createApp);
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
      gateway.createApp(prefix + "-bulk-" + i);
    }
    assertEquals(30, http.get("/v2/apps").json().path("items").size());
    assertEquals(30, http.get("/v2/apps?per_page=junk").json().path("items").size());
    assertTrue(http.get("/v2/apps?per_page=1000").json().path("items").size() <= 100);
    assertError(http.get("/v2/apps?cursor=***"), 400, "Invalid cursor");
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
    JsonNode fn = gateway.createFn(appId, "f");
    assertEquals("GENERIC_ARM", fn.path("shape").asText());
    assertEquals("GENERIC_ARM", http.get("/v2/fns/" + fn.path("id").asText()).json().path("shape").asText());
    assertEquals("GENERIC_ARM", http.get("/v2/fns?app_id=" + appId).json().path("items").get(0).path("shape").asText());
    JsonNode plain = gateway.createApp(unique("noshape"));
    assertFalse(plain.has("shape"), plain.toString());
  }
}
