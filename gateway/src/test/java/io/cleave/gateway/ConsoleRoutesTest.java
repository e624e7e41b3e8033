package io.cleave.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.http.Http;
import org.junit.jupiter.api.Test;

/**
 * The console's files over HTTP: the page, its modules and the chart library from its WebJar,
 * without a key and with types browsers run; nothing else of the classpath; its data routes need one.
 */
class ConsoleRoutesTest extends GatewayTestBase {

  @Test
  void thePageAndItsModulesAreServedWithoutAKey() {
    Http anonymous = http.withKey(null);
    Http.Reply bare = anonymous.get("/console");
    assertEquals(302, bare.status(), bare.toString());
    assertEquals("/console/", bare.header("Location"));
    Http.Reply page = anonymous.get("/console/");
    assertEquals(200, page.status(), page.toString());
    assertTrue(page.header("Content-Type").startsWith("text/html"), page.toString());
    assertTrue(page.text().contains("/console/app.js"), page.text());
    assertTrue(page.header("Content-Security-Policy").contains("script-src 'self'"), page.toString());
    for (String module : new String[] {"/console/app.js", "/console/api.js", "/console/pages/live.js", "/console/pages/runs.js"}) {
      Http.Reply js = anonymous.get(module);
      assertEquals(200, js.status(), module + " -> " + js);
      assertTrue(js.header("Content-Type").startsWith("text/javascript"), module + " -> " + js);
    }
    assertTrue(anonymous.get("/console/console.css").header("Content-Type").startsWith("text/css"));
  }

  @Test
  void theChartLibraryComesFromItsWebJarWhateverItsVersion() {
    Http.Reply lib = http.withKey(null).get("/console/lib/uplot/dist/uPlot.esm.js");
    assertEquals(200, lib.status(), lib.toString());
    assertTrue(lib.text().contains("export { uPlot as default }"), "not uPlot's ES module");
    assertEquals(200, http.withKey(null).get("/console/lib/uplot/dist/uPlot.min.css").status());
  }

  @Test
  void nothingElseOfTheClasspathIsServed() {
    Http anonymous = http.withKey(null);
    for (String path : new String[] {"/console/nosuch.js", "/console/lib/jackson/x.js", "/console/lib/uplot/nosuch.js",
        "/console/%2e%2e/io/cleave/gateway/Gateway.class", "/console/lib/uplot/%2e%2e/%2e%2e/uplot/1.6.30/LICENSE",
        "/console/..%2flogback.xml", "/console/pages/", "/console/lib/uplot/package.json/"}) {
      Http.Reply r = anonymous.get(path);
      assertEquals(404, r.status(), path + " -> " + r);
      assertTrue(r.json().path("message").asText().length() > 0, path + " -> " + r);
    }
  }

  @Test
  void theLiveFeedOfAFunctionNeedsAKey() {
    var app = gateway.createApp(GatewayFixture.unique("console"));
    var fn = gateway.createFn(app.path("id").asText(), "watched");
    String id = fn.path("id").asText();
    for (String path : new String[] {"/cleave/v1/fns/" + id + "/live", "/cleave/v1/fns/" + id + "/activity"}) {
      Http.Reply anonymous = http.withKey(null).get(path);
      assertEquals(401, anonymous.status(), path + " -> " + anonymous);
      Http.Reply noInvoker = http.get(path);
      assertEquals(503, noInvoker.status(), path + " -> " + noInvoker);
    }
    assertEquals(404, http.get("/cleave/v1/fns/01ARZ3NDEKTSV4RRFFQ69G5FAV/live").status());
  }
}
