package io.cleave.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.config.ServerConfig;
import io.cleave.invoker.InvokerSettings;
import io.cleave.invoker.Policy;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.DoublePredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a function's life does to the node, through the real server: code Cleave cannot run fails
 * at once and leaves nothing behind; deleting or changing a function frees its seed.
 */
@Timeout(120)
class FunctionLifecycleTest {
  static final String SLEEPY = """
      import time


      def handler(ctx, data=None):
          what = data.getvalue().decode() if data else ""
          if what.startswith("sleep "):
              time.sleep(float(what.split()[1]))
          return "ok " + what
      """;

  @TempDir static Path data;
  static ServerComposition server;
  static PlatformClient client;
  static String appId;

  @BeforeAll
  static void start() throws Exception {
    ServerConfig config = ServerConfig.defaults(data.resolve("node")).withPort(0)
        .withCluster("life-" + ProcessHandle.current().pid(), 5811, List.of());
    InvokerSettings settings = ExecutionEndToEndTest.settings(config.dataDir(), Policy.FORK, 4);
    server = ServerComposition.start(config, NodeExecution.factory(settings, List.of("-XX:+UseSerialGC", "-Xmx256m")),
        "test");
    client = new PlatformClient(server.url());
    appId = client.createApp("life");
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void codeThatCannotRunFailsAtOnceAndLeavesNoInstanceBehind() throws Exception {
    String noCode = client.json("POST", "/v2/fns", Map.of("name", "nocode", "app_id", appId)).get("id").asText();
    String oldRuntime = client.deploy(appId, "py27", Map.of(),
        Map.of("func.yaml", "runtime: python2.7\n", "func.py", SLEEPY));
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String id = i % 2 == 0 ? noCode : oldRuntime;
      calls.add(CompletableFuture.supplyAsync(() -> client.invoke(id, "x")));
    }
    for (CompletableFuture<HttpResponse<String>> c : calls) {
      HttpResponse<String> r = c.get();
      assertEquals(502, r.statusCode(), r.body());
      assertTrue(r.body().contains("has no code yet") || r.body().contains("runtime 'python2.7' is not available"),
          r.body());
    }
    awaitMetric("cleave_instances{state=\"starting\"}", v -> v == 0, "no instance left starting");
    String fine = client.deploy(appId, "fine", Map.of(), Map.of("func.py", SLEEPY));
    assertEquals(200, client.invoke(fine, "after").statusCode());
  }

  @Test
  void deletingOrChangingAFunctionFreesItsSeed() throws Exception {
    String fnId = client.deploy(appId, "seeded", Map.of("memory", 128), Map.of("func.py", SLEEPY));
    double seeds = client.metric("cleave_seeds");
    assertEquals(200, client.invoke(fnId, "one").statusCode());
    awaitMetric("cleave_seeds", v -> v == seeds + 1, "the seed started");

    client.json("PUT", "/v2/fns/" + fnId, Map.of("memory", 192));
    awaitMetric("cleave_seeds", v -> v == seeds, "a changed function's seed retired before any call");
    assertEquals(200, client.invoke(fnId, "two").statusCode());
    awaitMetric("cleave_seeds", v -> v == seeds + 1, "the new version's seed started");

    HttpResponse<String> deleted = client.send("DELETE", "/v2/fns/" + fnId, null, Map.of());
    assertEquals(204, deleted.statusCode());
    awaitMetric("cleave_seeds", v -> v == seeds, "a deleted function's seed retired");
    awaitMetric("cleave_instances{state=\"idle\"}", v -> v == 0, "its idle instances went too");
  }

  /** Polls the scrape (gauges refresh every second) until the sample satisfies the condition. */
  private static void awaitMetric(String sample, DoublePredicate ok, String what) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    double v = client.metric(sample);
    while (!ok.test(v)) {
      assertTrue(System.nanoTime() < end, what + ": " + sample + " is still " + v);
      Thread.sleep(200);
      v = client.metric(sample);
    }
  }
}
