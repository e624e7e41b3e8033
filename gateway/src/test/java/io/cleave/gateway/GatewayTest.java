package io.cleave.gateway;

import static io.cleave.gateway.GatewayFixture.assertError;
import static io.cleave.gateway.GatewayFixture.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.common.id.Ulid;
import io.cleave.common.invoke.Call;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What every route shares, over HTTP: ping and version, call ids, Fn's 404/405/413 texts, request metrics. */
class GatewayTest extends GatewayTestBase {
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
  void unknownPathsAndMethodsAnswerAsFn() {
    // Fn quotes the method and the (decoded) path, without the query.
    assertError(http.get("/v2/nosuch?x=1"), 404, "Path not found: GET /v2/nosuch");
    assertError(http.get("/v2/no%20such"), 404, "Path not found: GET /v2/no such");
    assertError(http.send("PATCH", "/v2/apps", "{}".getBytes(), Map.of()), 405, "Method not allowed: PATCH /v2/apps");
    assertError(http.send("PATCH", "/v2/fns/abc", "{}".getBytes(), Map.of()), 405, "Method not allowed: PATCH /v2/fns/abc");
    assertError(http.get("/invoke/abc"), 405, "Method not allowed: GET /invoke/abc");
    assertEquals(0, http.get("/v2/apps?name=abc").json().path("items").size());

    // The v1-era app routes and calls were never v2 paths (404, as in Fn).
    String appId = gateway.createApp(unique("gone")).path("id").asText();
    assertError(http.get("/v2/apps/" + appId + "/routes"), 404, "Path not found: GET /v2/apps/" + appId + "/routes");
    assertError(http.get("/v2/apps/" + appId + "/calls"), 404, "Path not found: GET /v2/apps/" + appId + "/calls");
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
  void metricsCountRequestsByRouteAndStatus() {
    http.get("/v2/apps/" + Ulid.next());
    Http.Reply m = http.get("/metrics");
    assertEquals(200, m.status());
    String text = m.text();
    assertTrue(text.contains("cleave_http_requests_total{method=\"GET\",route=\"/v2/apps/:appId\",status=\"404\"}"), text);
    assertTrue(text.contains("cleave_http_request_duration_seconds_bucket{route=\"/v2/apps/:appId\""), text);
    assertTrue(m.header("Content-Type").startsWith("text/plain"));
  }
}
