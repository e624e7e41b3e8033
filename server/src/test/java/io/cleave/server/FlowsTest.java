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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flows through the real server: refused definitions, then runs of Python steps (chain, fan-out
 * and fan-in, map), retries, a step timeout, detached runs and cancel, each read back over HTTP.
 */
@Timeout(300)
class FlowsTest {
  @TempDir static Path data;
  static ServerComposition server;
  static PlatformClient client;
  static FlowFunctions.Witness witness;
  static String appId;

  @BeforeAll
  static void start() throws Exception {
    witness = new FlowFunctions.Witness(token -> token.endsWith("-flaky") ? "fail" : "go");
    ServerConfig config = ServerConfig.defaults(data.resolve("node")).withPort(0)
        .withCluster("flows-" + ProcessHandle.current().pid(), 5901, List.of()).withAdminKey(Http.TEST_ADMIN_KEY);
    InvokerSettings settings = ExecutionEndToEndTest.settings(config.dataDir(), Policy.FORK, 8);
    server = ServerComposition.start(config, NodeExecution.factory(settings, AppCallLimits.Defaults.STANDARD, List.of("-XX:+UseSerialGC", "-Xmx256m"),
        ServerProcess.HOST_NETWORK),
        "test");
    client = new PlatformClient(server.url());
    appId = client.createApp("flows");
    for (String op : List.of("inc", "square", "split", "sum", "sleep", "witnessed", "keep", "peek", "keepbig",
        "bigpeek", "keepwitnessed")) {
      client.deploy(appId, op, Map.of("memory", 64, "config", Map.of("OP", op, "WITNESS", witness.url())),
          Map.of("func.py", FlowFunctions.STEPS));
    }
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (witness != null) {
      witness.close();
    }
  }

  static Map<String, Object> step(String name, String fn, Object... more) {
    Map<String, Object> s = new java.util.LinkedHashMap<>(Map.of("name", name, "fn", fn));
    for (int i = 0; i < more.length; i += 2) {
      s.put((String) more[i], more[i + 1]);
    }
    return s;
  }

  static HttpResponse<String> create(String name, List<Map<String, Object>> steps) {
    return client.send("POST", "/cleave/v1/flows", PlatformClient.JSON.valueToTree(
        Map.of("app_id", appId, "name", name, "steps", steps)).toString(), Map.of("Content-Type", "application/json"));
  }

  static String flow(String name, List<Map<String, Object>> steps) {
    HttpResponse<String> r = create(name, steps);
    assertEquals(200, r.statusCode(), r.body());
    return read(r).get("id").asText();
  }

  static JsonNode run(String flowId, String input) {
    HttpResponse<String> r = client.send("POST", "/cleave/v1/flows/" + flowId + "/runs", input,
        Map.of("Content-Type", "application/json"));
    JsonNode run = read(r);
    assertEquals(r.headers().firstValue("Cleave-Run-Id").orElseThrow(), run.get("id").asText());
    return run;
  }

  static JsonNode read(HttpResponse<String> r) {
    try {
      return PlatformClient.JSON.readTree(r.body());
    } catch (java.io.IOException e) {
      throw new AssertionError(r.body(), e);
    }
  }

  static void refused(String name, List<Map<String, Object>> steps, String words) {
    HttpResponse<String> r = create(name, steps);
    assertEquals(400, r.statusCode(), r.body());
    String message = read(r).get("message").asText();
    assertTrue(message.contains(words), message);
  }

  @Test
  void definitionsThatCannotRunAreRefusedWithTheReason() {
    refused("cyclic", List.of(step("a", "inc", "after", List.of("b")), step("b", "inc", "after", List.of("a"))),
        "cyclic: a -> b -> a");
    refused("nofn", List.of(step("a", "no-such-fn")), "calls function no-such-fn, which app flows does not have");
    refused("unknown", List.of(step("a", "inc", "after", List.of("ghost"))), "comes after unknown step ghost");
    refused("nomap", List.of(step("a", "split"), step("b", "square", "map", "a")), "maps over a");
    refused("fork", List.of(step("a", "inc"), step("b", "inc", "after", List.of(Map.of("step", "a", "pass", "fork"))),
        step("c", "inc", "after", List.of(Map.of("step", "b", "pass", "fork")))), "fork edges do not chain");
    refused("badpass", List.of(step("a", "inc"), step("b", "inc", "after", List.of(Map.of("step", "a", "pass", "x")))),
        "pass must be copy or fork");
    refused("empty", List.of(), "at least one step");
    HttpResponse<String> missing = client.send("GET", "/cleave/v1/flows/nosuch", null, Map.of());
    assertEquals(404, missing.statusCode(), missing.body());
  }

  @Test
  void aChainPassesEachResultOnAndTheRunShowsItsSteps() {
    String id = flow("chain", List.of(step("one", "inc"), step("two", "inc", "after", List.of("one")),
        step("three", "inc", "after", List.of("two"))));
    JsonNode run = run(id, "1");
    assertEquals("succeeded", run.get("status").asText(), run.toString());
    assertEquals(4, run.get("output").asInt(), run.toString());
    assertEquals(3, run.get("steps").size());
    for (JsonNode s : run.get("steps")) {
      assertEquals("succeeded", s.get("status").asText(), s.toString());
      JsonNode call = s.get("calls").get(0);
      assertFalse(call.get("activation_id").asText().isEmpty(), call.toString());
      assertFalse(call.get("start_mode").asText().isEmpty(), call.toString());
      assertEquals("copy", call.get("pass").asText());
      assertTrue(s.get("duration_ms").asLong() >= 0, s.toString());
    }
    JsonNode again = client.json("GET", "/cleave/v1/runs/" + run.get("id").asText(), null);
    assertEquals(run.get("steps").size(), again.get("steps").size());
    assertEquals("succeeded", again.get("status").asText());
    String activation = run.get("steps").get(0).get("calls").get(0).get("activation_id").asText();
    assertEquals(200, client.send("GET", "/cleave/v1/activations/" + activation, null, Map.of()).statusCode());
  }

  @Test
  void aFanOutAndFanInAndAMapRun() {
    String diamond = flow("diamond", List.of(step("start", "inc"), step("a", "inc", "after", List.of("start")),
        step("b", "square", "after", List.of("start")), step("join", "sum", "after", List.of("a", "b"))));
    JsonNode run = run(diamond, "1");
    assertEquals(3 + 4, run.get("output").asInt(), run.toString()); // start=2, a=3, b=4
    String mapped = flow("mapped", List.of(step("split", "split"),
        step("sq", "square", "after", List.of("split"), "map", "split", "parallelism", 2),
        step("total", "sum", "after", List.of("sq"))));
    JsonNode m = run(mapped, "5");
    assertEquals("succeeded", m.get("status").asText(), m.toString());
    assertEquals(0 + 1 + 4 + 9 + 16, m.get("output").asInt(), m.toString());
    JsonNode sq = m.get("steps").get(1);
    assertEquals(5, sq.get("items").asInt(), sq.toString());
    assertEquals(5, sq.get("calls").size(), sq.toString());
    JsonNode empty = run(mapped, "0");
    assertEquals(0, empty.get("output").asInt(), empty.toString());
  }

  @Test
  void aStepThatFailsOnceIsRetriedAndOneWithoutRetriesFailsTheRun() {
    String retried = flow("retried", List.of(step("flaky", "witnessed", "retries", 2)));
    JsonNode run = run(retried, "1");
    assertEquals("succeeded", run.get("status").asText(), run.toString());
    assertEquals(2, run.get("output").asInt());
    JsonNode calls = run.get("steps").get(0).get("calls");
    assertEquals(2, calls.size(), calls.toString());
    assertEquals("failed", calls.get(0).get("status").asText());
    assertTrue(calls.get(0).get("error").asText().contains("502"), calls.toString());
    assertEquals(2, witness.runsOf(run.get("id").asText(), "flaky"));

    String once = flow("once", List.of(step("flaky", "witnessed")));
    HttpResponse<String> r = client.send("POST", "/cleave/v1/flows/" + once + "/runs", "1", Map.of());
    assertEquals(502, r.statusCode(), r.body());
    JsonNode failed = read(r);
    assertEquals("failed", failed.get("status").asText());
    assertTrue(failed.get("message").asText().contains("step flaky failed"), failed.toString());
  }

  @Test
  void aForkProducerThatFailsOnceForksNoChildAndItsRetrysConsumerReadsWhatTheRetryKept() {
    // The consumer's child is ordered while the producer runs: a call that fails gets none.
    String id = flow("flakykept", List.of(step("flaky", "keepwitnessed", "retries", 1),
        step("forked", "peek", "after", List.of(Map.of("step", "flaky", "pass", "fork")))));
    JsonNode run = run(id, "3");
    assertEquals("succeeded", run.get("status").asText(), run.toString());
    assertEquals(2, witness.runsOf(run.get("id").asText(), "flaky"));
    JsonNode seen = run.get("output");
    assertTrue(seen.get("forked").asBoolean(), seen.toString());
    assertEquals(List.of(0, 1, 2), PlatformClient.JSON.convertValue(seen.get("numbers"), List.class),
        "what the retry kept, not the failed call's: " + seen);
    JsonNode calls = run.get("steps").get(0).get("calls");
    assertEquals("failed", calls.get(0).get("status").asText(), calls.toString());
    assertEquals("fork", run.get("steps").get(1).get("calls").get(0).get("start_mode").asText(), run.toString());
  }

  @Test
  void aStepPastItsTimeoutFailsTheRun() {
    String slow = flow("slow", List.of(step("nap", "sleep", "timeout", 1)));
    long t0 = System.nanoTime();
    HttpResponse<String> r = client.send("POST", "/cleave/v1/flows/" + slow + "/runs", "20", Map.of());
    assertEquals(502, r.statusCode(), r.body());
    assertTrue(read(r).get("error").asText().contains("timed out after 1 s"), r.body());
    assertTrue(Duration.ofNanos(System.nanoTime() - t0).toSeconds() < 15, "the run ended at the step's timeout");
  }

  @Test
  void aDetachedRunAnswers202AndCanBeCancelled() throws Exception {
    String slow = flow("detached", List.of(step("nap", "sleep"), step("after", "inc", "after", List.of("nap"))));
    HttpResponse<String> r = client.send("POST", "/cleave/v1/flows/" + slow + "/runs", "30",
        Map.of("Fn-Invoke-Type", "detached"));
    assertEquals(202, r.statusCode(), r.body());
    String runId = read(r).get("id").asText();
    Poll.until("the first step runs", Duration.ofSeconds(60),
        () -> client.json("GET", "/cleave/v1/runs/" + runId, null).get("steps").get(0).get("status").asText()
            .equals("running"));
    JsonNode cancelled = client.json("POST", "/cleave/v1/runs/" + runId + "/cancel", null);
    assertEquals("cancelled", cancelled.get("status").asText(), cancelled.toString());
    assertEquals(409, client.send("POST", "/cleave/v1/runs/" + runId + "/cancel", null, Map.of()).statusCode());
    JsonNode listed = client.json("GET", "/cleave/v1/runs?flow_id=" + slow, null);
    assertEquals(runId, listed.get("items").get(0).get("id").asText());
    assertEquals("cancelled", listed.get("items").get(0).get("status").asText());
  }

  @Test
  void aForkEdgeHandsTheConsumerTheVeryObjectAndACopyEdgeAnEqualCopy() throws InterruptedException {
    String id = flow("passing", List.of(step("producer", "keep"),
        step("forked", "peek", "after", List.of(Map.of("step", "producer", "pass", "fork"))),
        step("copied", "peek", "after", List.of(Map.of("step", "producer", "pass", "copy")))));
    assertVeryObjectAndEqualCopy(run(id, "5"));
    // The producer's next kept instance is started ahead: a later run's producer finds it ready.
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode again;
    do {
      Thread.sleep(500);
      again = run(id, "5");
      assertVeryObjectAndEqualCopy(again);
    } while (!again.get("steps").get(0).get("calls").get(0).get("start_mode").asText().equals("warm")
        && System.nanoTime() < end);
    assertEquals("warm", again.get("steps").get(0).get("calls").get(0).get("start_mode").asText(),
        "a producer ran on the kept instance started ahead: " + again);
  }

  @Test
  void aMapOverAForkEdgeRunsItsItemsOnAtMostParallelismChildrenEachServingSeveral() {
    String id = flow("forkmap", List.of(step("producer", "keep"), step("items", "split"),
        step("each", "peek", "after", List.of(Map.of("step", "producer", "pass", "fork"), "items"), "map", "items",
            "parallelism", 2)));
    JsonNode run = run(id, "6");
    assertEquals("succeeded", run.get("status").asText(), run.toString());
    JsonNode results = run.get("output");
    assertEquals(6, results.size(), results.toString());
    java.util.Set<Long> children = new java.util.HashSet<>();
    int mostServed = 0;
    for (int i = 0; i < results.size(); i++) {
      JsonNode r = results.get(i);
      assertTrue(r.get("forked").asBoolean(), r.toString());
      assertEquals(i, r.get("input").get("items").asInt(), "each call gets its own item: " + r);
      assertEquals(results.get(0).get("id").asLong(), r.get("id").asLong(), "the very object in every child: " + r);
      assertEquals(results.get(0).get("ppid").asLong(), r.get("ppid").asLong(), "children of one kept instance: " + r);
      assertEquals(List.of(0, 1, 2, 3, 4, 5), PlatformClient.JSON.convertValue(r.get("numbers"), List.class));
      children.add(r.get("pid").asLong());
      mostServed = Math.max(mostServed, r.get("served").asInt());
    }
    assertTrue(children.size() <= 2, "6 items, parallelism 2: at most 2 children, not one per item: " + results);
    assertTrue(mostServed >= 3, "a child serves item after item, its globals kept: " + results);
    JsonNode calls = run.get("steps").get(2).get("calls");
    long forked = 0;
    for (JsonNode c : calls) {
      assertEquals("fork", c.get("pass").asText(), c.toString());
      forked += c.get("start_mode").asText().equals("fork") ? 1 : 0;
      assertTrue(List.of("fork", "warm").contains(c.get("start_mode").asText()), c.toString());
    }
    assertEquals(children.size(), forked, "a call on a child that served an earlier one is warm: " + calls);
  }

  @Test
  void aSecondForkProducersResultIsCopiedOnceIntoTheInstanceTheConsumerForksFrom() {
    String id = flow("twoforks", List.of(step("producer", "keep"), step("listed", "split"), step("items", "split"),
        step("each", "peek", "after", List.of(Map.of("step", "producer", "pass", "fork"),
            Map.of("step", "listed", "pass", "fork"), "items"), "map", "items", "parallelism", 2)));
    JsonNode run = run(id, "6");
    assertEquals("succeeded", run.get("status").asText(), run.toString());
    JsonNode results = run.get("output");
    assertEquals(6, results.size(), results.toString());
    for (int i = 0; i < results.size(); i++) {
      JsonNode r = results.get(i);
      assertTrue(r.get("forked").asBoolean(), "forked from the producer that kept the most: " + r);
      assertEquals(1, r.get("input").size(), "the call carries its item only, no producer's result: " + r);
      assertEquals(i, r.get("input").get("items").asInt(), r.toString());
      assertEquals(List.of(0, 1, 2, 3, 4, 5), PlatformClient.JSON.convertValue(r.get("listed"), List.class),
          "the other fork producer's result, read with fdk.state.get(its step name): " + r);
      assertEquals(List.of("kept", "listed", "process"),
          PlatformClient.JSON.convertValue(r.get("names"), List.class), r.toString());
      assertEquals(results.get(0).get("listed_id").asLong(), r.get("listed_id").asLong(),
          "parsed once, in the kept instance, before the children were forked from it: " + r);
    }
    for (JsonNode c : run.get("steps").get(3).get("calls")) {
      assertEquals("fork", c.get("pass").asText(), c.toString());
    }
  }

  @Test
  void aReleasedKeptInstanceServesTheNextRunsProducerAndHoldsOnlyThatRunsState() {
    String id = flow("recycled", List.of(step("producer", "keep"),
        step("forked", "peek", "after", List.of(Map.of("step", "producer", "pass", "fork")))));
    boolean recycled = false;
    for (int pair = 0; pair < 5 && !recycled; pair++) {
      JsonNode odd = run(id, "5");
      assertEquals("succeeded", odd.get("status").asText(), odd.toString());
      assertEquals(List.of("kept", "odd", "process"),
          PlatformClient.JSON.convertValue(odd.get("output").get("names"), List.class));
      JsonNode even = run(id, "4");
      assertEquals("succeeded", even.get("status").asText(), even.toString());
      JsonNode seen = even.get("output");
      assertEquals(List.of(0, 1, 2, 3), PlatformClient.JSON.convertValue(seen.get("numbers"), List.class), seen.toString());
      assertEquals(List.of("kept", "process"), PlatformClient.JSON.convertValue(seen.get("names"), List.class),
          "nothing the last run's producer kept is left: " + seen);
      recycled = seen.get("producer").asText().equals(odd.get("output").get("producer").asText());
      if (recycled) {
        assertEquals("warm", even.get("steps").get(0).get("calls").get(0).get("start_mode").asText(), even.toString());
      }
    }
    assertTrue(recycled, "the kept instance the last run released served the next run's producer");
  }

  private static void assertVeryObjectAndEqualCopy(JsonNode run) {
    assertEquals("succeeded", run.get("status").asText(), run.toString());
    JsonNode copied = run.get("output").get("copied");
    JsonNode produced = copied.get("input");
    assertFalse(copied.get("forked").asBoolean(), "a copy edge's consumer holds no kept state: " + copied);
    assertEquals(List.of(0, 1, 2, 3, 4), PlatformClient.JSON.convertValue(produced.get("numbers"), List.class));
    JsonNode forked = run.get("output").get("forked");
    assertTrue(forked.get("forked").asBoolean(), forked.toString());
    assertEquals(produced.get("id").asLong(), forked.get("id").asLong(), "the very object, at the producer's address");
    assertEquals(produced.get("pid").asLong(), forked.get("ppid").asLong(), "in a child of the producer's process");
    assertEquals(produced.get("numbers"), forked.get("numbers"));
    assertEquals(List.of("a", "b"), PlatformClient.JSON.convertValue(forked.get("tags"), List.class),
        "a set, which no JSON copy carries");
    assertTrue(forked.get("input").isNull(), "the forked-from producer's result is not copied in: " + forked);
    for (JsonNode s : run.get("steps")) {
      JsonNode call = s.get("calls").get(0);
      String name = s.get("name").asText();
      assertEquals(name.equals("forked") ? "fork" : "copy", call.get("pass").asText(), s.toString());
      if (name.equals("forked")) {
        assertEquals("fork", call.get("start_mode").asText(), s.toString());
      }
    }
  }

  @Test
  void aForkEdgeBetweenFunctionsOnDifferentRuntimesIsRefused() {
    client.deploy(appId, "javafn", Map.of("memory", 64), Map.of("func.py", FlowFunctions.STEPS,
        "func.yaml", "schema_version: 20180708\nname: javafn\nversion: 0.0.1\nruntime: java\n"));
    List<Map<String, Object>> mixed = List.of(step("a", "inc"),
        step("b", "javafn", "after", List.of(Map.of("step", "a", "pass", "fork"))));
    HttpResponse<String> r = create("mixed", mixed);
    assertEquals(400, r.statusCode(), r.body());
    String message = read(r).get("message").asText();
    assertTrue(message.contains("step b takes a fork edge from a") && message.contains("runtime"), message);
    assertEquals(0, client.json("GET", "/cleave/v1/flows?app_id=" + appId + "&name=mixed", null).get("items").size(),
        "nothing was created");
    flow("mixedcopy", List.of(step("a", "inc"),
        step("b", "javafn", "after", List.of(Map.of("step", "a", "pass", "copy")))));
    // python3.N is the same runtime as python3 where the node runs both with one binary.
    String minor = realName(Path.of("/usr/bin/python3")); // python3.11 on Debian 12: one binary, two names
    if (minor.matches("python3\\.\\d+")) {
      client.deploy(appId, "versioned", Map.of("memory", 64, "config", Map.of("OP", "inc")), Map.of("func.py",
          FlowFunctions.STEPS, "func.yaml", "schema_version: 20180708\nname: versioned\nversion: 0.0.1\nruntime: "
              + minor + "\n"));
      flow("samebinary", List.of(step("a", "inc"),
          step("b", "versioned", "after", List.of(Map.of("step", "a", "pass", "fork")))));
    }
  }

  private static String realName(Path p) {
    try {
      return p.toRealPath().getFileName().toString();
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
