package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The execution side through the real server: bundles uploaded over the API, Python functions run
 * by forkd in lean containers, calls through /invoke and /t/, activations read back over HTTP.
 */
class ExecutionEndToEndTest {
  static final String HELLO = """
      import io
      import json
      import sys

      from fdk import response

      GREETING = "hello"


      def handler(ctx, data: io.BytesIO = None):
          name = data.getvalue().decode() if data else ""
          print("log line for " + name)
          print("stderr line for " + name, file=sys.stderr)
          body = {"message": GREETING + " " + name, "who": ctx.Config().get("WHO"),
                  "method": ctx.Method(), "call_id": ctx.CallID()}
          return response.Response(ctx, response_data=json.dumps(body),
                                   headers={"Content-Type": "application/json"}, status_code=201)
      """;

  static final String MISBEHAVING = """
      import os
      import sys
      import time


      def handler(ctx, data=None):
          what = data.getvalue().decode() if data else ""
          if what == "raise":
              raise ValueError("bad input 42")
          if what == "loop":
              while True:
                  pass
          if what == "exit":
              os._exit(3)
          if what == "hog":
              hog = bytearray(b"\\x01") * (512 * 1024 * 1024)
              return str(len(hog))
          if what == "forkbomb":
              while True:
                  os.fork()
          if what == "shout":
              line = "x" * 1023 + "\\n"
              for _ in range(2048):
                  sys.stdout.write(line)
              return "shouted"
          if what.startswith("sleep "):
              time.sleep(float(what.split()[1]))
          return "fine " + what
      """;

  /** Answers what makes a process itself: its pid next to the one that imported the module, random state, listener. */
  static final String STATEFUL = """
      import json
      import os
      import random
      import time

      IMPORTED_BY = os.getpid()

      def handler(ctx, data=None):
          what = data.getvalue().decode() if data else ""
          if what.startswith("sleep "):
              time.sleep(float(what.split()[1]))
          return json.dumps({"pid": os.getpid(), "imported_by": IMPORTED_BY, "random": random.random(),
                             "listener": os.environ.get("FN_LISTENER"), "who": os.environ.get("WHO")})
      """;

  @TempDir static Path data;
  static ServerComposition server;
  static PlatformClient client;
  static String appId;
  static String helloId;

  @BeforeAll
  static void start() throws Exception {
    ServerConfig config = ServerConfig.defaults(data.resolve("node")).withPort(0).withCluster("e2e-" + ProcessHandle.current().pid(), 5801, List.of())
        .withAdminKey(Http.TEST_ADMIN_KEY);
    InvokerSettings settings = settings(config.dataDir(), Policy.FORK, 8, 2);
    server = ServerComposition.start(config, NodeExecution.factory(settings, List.of("-XX:+UseSerialGC", "-Xmx256m")), "test");
    client = new PlatformClient(server.url());
    appId = client.createApp("e2e");
    helloId = client.deploy(appId, "hello", Map.of("memory", 128, "config", Map.of("WHO", "fn-config")),
        Map.of("func.py", HELLO));
  }

  static InvokerSettings settings(Path dataDir, Policy policy, int detachedParallelism) {
    return settings(dataDir, policy, detachedParallelism, 0);
  }

  static InvokerSettings settings(Path dataDir, Policy policy, int detachedParallelism, int forkAhead) {
    InvokerSettings d = InvokerSettings.defaults(dataDir, ExecutionOptions.cleaveHome());
    return new InvokerSettings(dataDir, d.cleaveHome(), "e2e-node", policy, 2048, Duration.ofSeconds(3),
        Duration.ofMinutes(10), forkAhead, 64 * 1024, Duration.ofDays(7), 100_000, 1L << 30,
        detachedParallelism, 16L * 1024 * 1024);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static String mode(HttpResponse<?> r) {
    return r.headers().firstValue("Cleave-Start-Mode").orElse("");
  }

  static String callId(HttpResponse<?> r) {
    return r.headers().firstValue("Fn-Call-Id").orElseThrow();
  }

  static JsonNode parse(String text) throws Exception {
    return PlatformClient.JSON.readTree(text);
  }

  @Test
  void aDeployedPythonFunctionAnswersThroughInvokeAndItsTrigger() throws Exception {
    HttpResponse<String> r = client.invoke(helloId, "world");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = parse(r.body());
    assertEquals("hello world", body.get("message").asText());
    assertEquals("fn-config", body.get("who").asText());
    assertEquals(callId(r), body.get("call_id").asText());
    assertEquals("e2e-node", r.headers().firstValue("Cleave-Node").orElse(""), "the answer names the node that ran it");

    client.json("POST", "/v2/triggers", Map.of("name", "hello", "app_id", appId, "fn_id", helloId, "type", "http",
        "source", "/hello"));
    HttpResponse<String> t = client.send("PUT", "/t/e2e/hello", "trigger", Map.of("Content-Type", "text/plain"));
    assertEquals(201, t.statusCode(), t.body());
    JsonNode tb = parse(t.body());
    assertEquals("hello trigger", tb.get("message").asText());
    assertEquals("PUT", tb.get("method").asText());
    assertTrue(t.headers().firstValue("Fn-Call-Id").isPresent());
  }

  @Test
  void firstCallIsColdThenWarmAndAScaleOutIsForkedFromTheSeed() throws Exception {
    String fnId = client.deploy(appId, "modes", Map.of("memory", 128, "idle_timeout", 60), Map.of("func.py", MISBEHAVING));
    double seedsBefore = client.metric("cleave_seeds");
    HttpResponse<String> first = client.invoke(fnId, "one");
    assertEquals(200, first.statusCode(), first.body());
    assertEquals("cold", mode(first));
    HttpResponse<String> second = client.invoke(fnId, "two");
    assertEquals("warm", mode(second));

    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (client.metric("cleave_seeds") <= seedsBefore) {
      assertTrue(System.nanoTime() < end, "the seed did not become ready in 30 s");
      Thread.sleep(200);
    }
    List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      burst.add(CompletableFuture.supplyAsync(() -> client.invoke(fnId, "sleep 1")));
    }
    Set<String> modes = new HashSet<>();
    List<String> ids = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : burst) {
      HttpResponse<String> r = f.get(90, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      modes.add(mode(r));
      ids.add(callId(r));
    }
    assertTrue(modes.contains("fork"), "a concurrent call was forked: " + modes);
    assertFalse(modes.contains("cold"), "no cold start once the seed is ready: " + modes);

    for (String id : ids) {
      JsonNode a = client.json("GET", "/cleave/v1/activations/" + id, null);
      assertEquals(fnId, a.get("fn_id").asText());
      assertEquals("success", a.get("status").asText());
      assertTrue(Set.of("warm", "fork").contains(a.get("start_mode").asText()), a.toString());
    }
    JsonNode cold = client.json("GET", "/cleave/v1/activations/" + callId(first), null);
    assertEquals("cold", cold.get("start_mode").asText());
    assertTrue(cold.get("init_ms").asLong() > 0, cold.toString());
  }

  @Test
  void childrenParkedAheadServeABurstAsForksEachWithItsOwnState() throws Exception {
    String fnId = client.deploy(appId, "stateful", Map.of("memory", 128, "idle_timeout", 60,
        "config", Map.of("WHO", "fn-config")), Map.of("func.py", STATEFUL));
    double parkedBefore = client.metric("cleave_instances{state=\"parked\"}");
    HttpResponse<String> first = client.invoke(fnId, "one");
    assertEquals("cold", mode(first), first.body());
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    // This server keeps two children parked per seed (fork-ahead 2).
    while (client.metric("cleave_instances{state=\"parked\"}") < parkedBefore + 2) {
      assertTrue(System.nanoTime() < end, "no children were parked in 30 s");
      Thread.sleep(100);
    }
    CompletableFuture<HttpResponse<String>> busy = CompletableFuture.supplyAsync(() -> client.invoke(fnId, "sleep 1"));
    Thread.sleep(300); // the warm instance is taken: the burst goes to parked children
    List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      burst.add(CompletableFuture.supplyAsync(() -> client.invoke(fnId, "sleep 0.3")));
    }
    Set<Double> randoms = new HashSet<>();
    Set<String> listeners = new HashSet<>();
    for (CompletableFuture<HttpResponse<String>> f : burst) {
      HttpResponse<String> r = f.get(90, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("fork", mode(r), r.body());
      JsonNode b = parse(r.body());
      assertNotEquals(b.get("imported_by").asLong(), b.get("pid").asLong(), "a fork of the seed, not the seed: " + b);
      assertEquals("fn-config", b.get("who").asText());
      assertTrue(b.get("listener").asText().startsWith("unix:/cleave/children/"), "its own listener applied: " + b);
      randoms.add(b.get("random").asDouble());
      listeners.add(b.get("listener").asText());
      JsonNode a = client.json("GET", "/cleave/v1/activations/" + callId(r), null);
      assertEquals("fork", a.get("start_mode").asText());
      assertEquals(0, a.get("init_ms").asLong(), "the parked child was up before the call: " + a);
    }
    assertEquals(2, randoms.size(), "each child reseeded its random state");
    assertEquals(2, listeners.size());
    assertEquals(200, busy.get(90, TimeUnit.SECONDS).statusCode());
  }

  @Test
  void misbehavingFunctionsGetClearErrorsWhileAnotherKeepsServing() throws Exception {
    String fnId = client.deploy(appId, "misbehaving", Map.of("memory", 128, "timeout", 3),
        Map.of("func.py", MISBEHAVING));

    HttpResponse<String> raised = client.invoke(fnId, "raise");
    assertEquals(502, raised.statusCode());
    // Fn's words to the caller; the exception's text goes to the call's log only.
    assertTrue(raised.body().contains("\"function failed\""), raised.body());
    assertFalse(raised.body().contains("bad input 42"), raised.body());
    assertHealthy();

    CompletableFuture<HttpResponse<String>> looping = CompletableFuture.supplyAsync(() -> client.invoke(fnId, "loop"));
    assertHealthy();
    HttpResponse<String> timedOut = looping.get(90, TimeUnit.SECONDS);
    assertEquals(504, timedOut.statusCode(), timedOut.body());
    JsonNode timeout = client.json("GET", "/cleave/v1/activations/" + callId(timedOut), null);
    assertEquals("timeout", timeout.get("status").asText());
    HttpResponse<String> after = client.invoke(fnId, "again");
    assertEquals(200, after.statusCode(), after.body());
    assertNotEquals("warm", mode(after), "the timed-out instance was killed, not reused");

    HttpResponse<String> exited = client.invoke(fnId, "exit");
    assertEquals(502, exited.statusCode());
    assertTrue(exited.body().contains("crashed"), exited.body());
    assertEquals(200, client.invoke(fnId, "back").statusCode());
    assertHealthy();

    HttpResponse<String> hog = client.invoke(fnId, "hog");
    assertEquals(502, hog.statusCode());
    assertTrue(hog.body().contains("out of memory"), hog.body());
    assertEquals("oom", client.json("GET", "/cleave/v1/activations/" + callId(hog), null).get("status").asText());
    assertHealthy();

    HttpResponse<String> bomb = client.invoke(fnId, "forkbomb");
    assertTrue(bomb.statusCode() == 502 || bomb.statusCode() == 504, bomb.statusCode() + " " + bomb.body());
    assertHealthy();
    assertEquals(200, client.invoke(fnId, "after the bomb").statusCode());

    HttpResponse<String> shout = client.invoke(fnId, "shout");
    assertEquals(200, shout.statusCode(), shout.body());
    String logs = client.send("GET", "/cleave/v1/activations/" + callId(shout) + "/logs", null, Map.of()).body();
    assertTrue(logs.length() < 70 * 1024, "logs are bounded, got " + logs.length());
    assertTrue(logs.contains("output truncated"), logs.substring(Math.max(0, logs.length() - 200)));
  }

  private static void assertHealthy() throws Exception {
    HttpResponse<String> r = client.invoke(helloId, "still here");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("hello still here", parse(r.body()).get("message").asText());
  }

  @Test
  void activationsListNewestFirstWithTheCallsLogs() throws Exception {
    String fnId = client.deploy(appId, "logged", Map.of("memory", 128), Map.of("func.py", HELLO));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = client.invoke(fnId, "n" + i);
      assertEquals(200, r.statusCode(), r.body());
      ids.add(callId(r));
    }
    JsonNode list = client.json("GET", "/cleave/v1/activations?fn_id=" + fnId + "&limit=10", null).get("items");
    assertEquals(3, list.size());
    assertEquals(ids.get(2), list.get(0).get("id").asText());
    assertEquals(ids.get(0), list.get(2).get("id").asText());
    for (JsonNode a : list) {
      assertEquals("e2e-node", a.get("node").asText());
      assertEquals(200, a.get("http_status").asInt());
    }
    String logs = client.send("GET", "/cleave/v1/activations/" + ids.get(1) + "/logs", null, Map.of()).body();
    assertTrue(logs.contains("log line for n1"), logs);
    assertTrue(logs.contains("stderr line for n1"), logs);
    assertFalse(logs.contains("n0") || logs.contains("n2"), "only this call's output: " + logs);
  }
}
