package io.cleave.gateway;

import static io.cleave.gateway.GatewayFixture.assertError;
import static io.cleave.gateway.GatewayFixture.names;
import static io.cleave.gateway.GatewayFixture.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.http.Http;
import io.cleave.common.id.Ulid;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fn's {@code /v2/triggers} over HTTP: lifecycle, validation texts, Fn's uniqueness scopes, paging. */
class TriggersRoutesTest extends GatewayTestBase {
  @Test
  void triggerLifecycleAndUniqueness() {
    String appName = unique("tapp");
    String appId = gateway.createApp(appName).path("id").asText();
    String fnId = gateway.createFn(appId, "f1").path("id").asText();
    String fn2 = gateway.createFn(appId, "f2").path("id").asText();
    JsonNode t = gateway.createTrigger(appId, fnId, "t1", "/hello");
    String id = t.path("id").asText();
    assertTrue(Ulid.isValid(id));
    assertEquals("http", t.path("type").asText());
    assertEquals("/hello", t.path("source").asText());
    assertEquals(gateway.url() + "/t/" + appName + "/hello",
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
    String otherApp = gateway.createApp(unique("tother")).path("id").asText();
    String otherFn = gateway.createFn(otherApp, "f").path("id").asText();
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
    gateway.createTrigger(otherApp, otherFn, "t1", "/hello");

    JsonNode t2 = gateway.createTrigger(appId, fn2, "t2", "/two");
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
    gateway.createTrigger(appId, fnId, "t1", "/hello");

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
    String appId = gateway.createApp(unique("tscope")).path("id").asText();
    String f1 = gateway.createFn(appId, "f1").path("id").asText();
    String f2 = gateway.createFn(appId, "f2").path("id").asText();
    String f3 = gateway.createFn(appId, "f3").path("id").asText();
    String a = gateway.createTrigger(appId, f1, "t", "/one").path("id").asText();
    String b = gateway.createTrigger(appId, f2, "t", "/two").path("id").asText();
    String c = gateway.createTrigger(appId, f3, "t", "/three").path("id").asText();
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
    String u = gateway.createTrigger(appId, f1, "u", "/u").path("id").asText();
    JsonNode uBefore = http.get("/v2/triggers/" + u).json();
    assertError(http.put("/v2/triggers/" + u, "{\"name\":\"t\"}"), 409, "Trigger already exists");
    assertEquals(uBefore, http.get("/v2/triggers/" + u).json());
    assertEquals(200, http.put("/v2/triggers/" + a, "{\"fn_id\":\"" + f1 + "\",\"name\":\"t\"}").status());
    assertError(http.put("/v2/triggers/" + a, "{\"fn_id\":\"" + f2 + "\"}"), 409, "Trigger already exists");
    // Freed by a move: f1 no longer has "t" once a moves away under another name.
    assertEquals(200, http.put("/v2/triggers/" + a, "{\"fn_id\":\"" + f2 + "\",\"name\":\"t2\"}").status());
    assertEquals(200, http.put("/v2/triggers/" + u, "{\"name\":\"t\"}").status());
    assertEquals(204, http.delete("/v2/triggers/" + b).status());
    gateway.createTrigger(appId, f2, "t", "/two");
  }
}
