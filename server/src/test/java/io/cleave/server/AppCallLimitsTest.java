package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.invoker.InvokerSettings;
import io.cleave.invoker.Policy;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Per-app throttles over HTTP on a real node: 429 with Retry-After past an app's concurrency or rate. */
@Timeout(180)
class AppCallLimitsTest {
  @TempDir static Path data;
  static ServerComposition server;
  static PlatformClient client;

  @BeforeAll
  static void start() throws Exception {
    ServerConfig config = ServerConfig.defaults(data.resolve("node")).withPort(0)
        .withCluster("limits-" + ProcessHandle.current().pid(), 5871, List.of()).withAdminKey(Http.TEST_ADMIN_KEY);
    InvokerSettings settings = ExecutionEndToEndTest.settings(config.dataDir(), Policy.FORK, 4);
    // Node defaults far above what the test sends: the apps' annotations are what limits them.
    server = ServerComposition.start(config, NodeExecution.factory(settings, new AppCallLimits.Defaults(2, 3),
        List.of("-XX:+UseSerialGC", "-Xmx256m"), Map.of()), "test");
    client = new PlatformClient(server.url());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void anAppPastItsConcurrencyGets429WithRetryAfter() throws Exception {
    String appId = client.json("POST", "/v2/apps", Map.of("name", "one-at-a-time",
        "annotations", Map.of("cleave.io/max-concurrency", 1, "cleave.io/max-calls-per-minute", 1000)))
        .get("id").asText();
    String fnId = client.deploy(appId, "sleepy", Map.of(), Map.of("func.py", FunctionLifecycleTest.SLEEPY));
    CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> client.invoke(fnId, "sleep 3"));
    client.awaitMetric("cleave_instances{state=\"busy\"}", v -> v >= 1, "the first call is running");
    HttpResponse<String> second = client.invoke(fnId, "now");
    assertEquals(429, second.statusCode(), second.body());
    assertEquals("1", second.headers().firstValue("Retry-After").orElse(""));
    assertTrue(second.body().contains("app one-at-a-time has 1 calls running"), second.body());
    assertEquals(200, first.get(60, TimeUnit.SECONDS).statusCode());
    assertEquals(200, client.invoke(fnId, "after").statusCode(), "the slot is free again");
  }

  @Test
  void anAppPastItsCallsPerMinuteGets429WithRetryAfter() {
    // No annotations: the node's default of 3 calls a minute holds.
    String appId = client.createApp("three-a-minute");
    String fnId = client.deploy(appId, "quick", Map.of(), Map.of("func.py", FunctionLifecycleTest.SLEEPY));
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> ok = client.invoke(fnId, "n" + i);
      assertEquals(200, ok.statusCode(), ok.body());
    }
    HttpResponse<String> refused = client.invoke(fnId, "too many");
    assertEquals(429, refused.statusCode(), refused.body());
    int retryAfter = Integer.parseInt(refused.headers().firstValue("Retry-After").orElse("0"));
    assertTrue(retryAfter >= 1 && retryAfter <= 20, "a call comes back within 20 s: " + retryAfter);
    assertTrue(refused.body().contains("more than 3 calls in a minute"), refused.body());
    HttpResponse<String> detached = client.send("POST", "/invoke/" + fnId, "queued",
        Map.of("Fn-Invoke-Type", "detached"));
    assertEquals(429, detached.statusCode(), "detached calls count against the rate: " + detached.body());
    // An annotation raises the app's own limit.
    client.json("PUT", "/v2/apps/" + appId, Map.of("annotations", Map.of("cleave.io/max-calls-per-minute", 100)));
    HttpResponse<String> raised = client.invoke(fnId, "raised");
    assertEquals(200, raised.statusCode(), raised.body());
  }
}
