package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.invoker.InvokerSettings;
import io.cleave.invoker.Policy;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a function's life does to the node, through the real server: code Cleave cannot run fails
 * at once and leaves nothing behind; deleting or changing a function frees its seed; a seed with
 * threads is not forked unless the function says it restarts them.
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

  /** Starts a thread at import: a fork would carry only the forking thread. */
  static final String THREADED = """
      import threading
      import time

      ticks = []


      def tick():
          while True:
              ticks.append(1)
              time.sleep(0.05)


      threading.Thread(target=tick, name="ticker", daemon=True).start()


      def handler(ctx, data=None):
          before = len(ticks)
          time.sleep(float(data.getvalue().decode() or "0.3"))
          return "ticking" if len(ticks) > before else "stopped"
      """;

  /** The same, but it restarts its thread in forked children and says so. */
  static final String THREADED_FORK_SAFE = THREADED.replace(
      "threading.Thread(target=tick, name=\"ticker\", daemon=True).start()\n",
      """
      def start_ticker():
          threading.Thread(target=tick, name="ticker", daemon=True).start()


      start_ticker()
      import os
      import fdk
      os.register_at_fork(after_in_child=start_ticker)
      fdk.allow_fork()
      """);

  @TempDir static Path data;
  static ServerComposition server;
  static PlatformClient client;
  static String appId;

  @BeforeAll
  static void start() throws Exception {
    ServerConfig config = ServerConfig.defaults(data.resolve("node")).withPort(0)
        .withCluster("life-" + ProcessHandle.current().pid(), 5811, List.of())
        .withAdminKey(Http.TEST_ADMIN_KEY);
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
      HttpResponse<String> r = c.get(90, TimeUnit.SECONDS);
      assertEquals(502, r.statusCode(), r.body());
      assertTrue(r.body().contains("has no code yet") || r.body().contains("runtime 'python2.7' is not available"),
          r.body());
    }
    client.awaitMetric("cleave_instances{state=\"starting\"}", v -> v == 0, "no instance left starting");
    String fine = client.deploy(appId, "fine", Map.of(), Map.of("func.py", SLEEPY));
    assertEquals(200, client.invoke(fine, "after").statusCode());
  }

  @Test
  void aBundlesOwnFdkDoesNotShadowTheRuntimeAndItsModulesImport() throws Exception {
    String fnId = client.deploy(appId, "vendored", Map.of(), Map.of(
        "func.py", "import helper\n\n\ndef handler(ctx, data=None):\n    return helper.answer()\n",
        "helper.py", "def answer():\n    return 'from helper'\n",
        "fdk/__init__.py", "raise ImportError('the bundle fdk shadowed the runtime')\n"));
    HttpResponse<String> r = client.invoke(fnId, "");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("from helper", r.body());
  }

  @Test
  void deletingOrChangingAFunctionFreesItsSeed() throws Exception {
    String fnId = client.deploy(appId, "seeded", Map.of("memory", 128), Map.of("func.py", SLEEPY));
    double seeds = client.metric("cleave_seeds");
    assertEquals(200, client.invoke(fnId, "one").statusCode());
    client.awaitMetric("cleave_seeds", v -> v == seeds + 1, "the seed started");

    client.json("PUT", "/v2/fns/" + fnId, Map.of("memory", 192));
    client.awaitMetric("cleave_seeds", v -> v == seeds, "a changed function's seed retired before any call");
    assertEquals(200, client.invoke(fnId, "two").statusCode());
    client.awaitMetric("cleave_seeds", v -> v == seeds + 1, "the new version's seed started");

    HttpResponse<String> deleted = client.send("DELETE", "/v2/fns/" + fnId, null, Map.of());
    assertEquals(204, deleted.statusCode());
    client.awaitMetric("cleave_seeds", v -> v == seeds, "a deleted function's seed retired");
    client.awaitMetric("cleave_instances{state=\"idle\"}", v -> v == 0, "its idle instances went too");
  }

  @Test
  void aSeedWithThreadsIsNotForkedAndTheActivationSaysWhy() throws Exception {
    String fnId = client.deploy(appId, "threaded", Map.of("memory", 128, "idle_timeout", 60),
        Map.of("func.py", THREADED));
    List<String> modes = burstAfterSeed(fnId);
    assertFalse(modes.contains("fork"), "a threaded seed was forked: " + modes);
    boolean explained = false;
    for (JsonNode a : client.json("GET", "/cleave/v1/activations?fn_id=" + fnId + "&limit=20", null).get("items")) {
      String note = a.path("start_note").asText("");
      explained |= a.get("start_mode").asText().equals("cold") && note.contains("thread");
    }
    assertTrue(explained, "a cold start says the seed had threads");
  }

  @Test
  void aSeedThatRestartsItsThreadsAtForkIsForked() throws Exception {
    String fnId = client.deploy(appId, "threadsafe", Map.of("memory", 128, "idle_timeout", 60),
        Map.of("func.py", THREADED_FORK_SAFE));
    List<String> modes = burstAfterSeed(fnId);
    assertTrue(modes.contains("fork"), "the opted-in seed was forked: " + modes);
  }

  /** One call (cold, makes the seed), then two overlapping calls once the seed is ready; their start modes. */
  private static List<String> burstAfterSeed(String fnId) throws Exception {
    double seeds = client.metric("cleave_seeds");
    HttpResponse<String> first = client.invoke(fnId, "0.3");
    assertEquals(200, first.statusCode(), first.body());
    assertEquals("ticking", first.body());
    client.awaitMetric("cleave_seeds", v -> v >= seeds + 1, "the seed started");
    List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      burst.add(CompletableFuture.supplyAsync(() -> client.invoke(fnId, "0.5")));
    }
    List<String> modes = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : burst) {
      HttpResponse<String> r = f.get(90, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("ticking", r.body(), "every instance has its thread running");
      modes.add(ExecutionEndToEndTest.mode(r));
    }
    return modes;
  }


}
