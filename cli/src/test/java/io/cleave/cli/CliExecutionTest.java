package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CLI against {@code cleave server} run as its own process, the way users run it, with the
 * node's execution side: deploy, invoke and read activations and logs back.
 */
class CliExecutionTest {

  static final String LOGGING_FN = """
      import io
      import json
      import sys
      import time


      def handler(ctx, data: io.BytesIO = None):
          text = data.getvalue().decode()
          print("stdout says " + text)
          print("stderr says " + text, file=sys.stderr)
          if text == "raise":
              raise ValueError("bad input 42")
          if text.startswith("sleep "):
              time.sleep(float(text[6:]))
          return "echo " + text
      """;

  static CleaveServer server;

  @BeforeAll
  static void start() throws Exception {
    server = CleaveServer.start("cli-exec");
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  static CliRun ok(String... args) {
    return server.ok(args);
  }

  static CliRun ok(byte[] stdin, String... args) {
    return server.ok(stdin, args);
  }

  @Test
  void theInitTemplateDeploysAndAnswersLikeFnsHelloWorld() throws Exception {
    Path dir = server.work.resolve("hello");
    assertEquals(0, CliRun.run("init", "--runtime", "python", "--trigger", "http", dir.toString()).exit());
    ok("deploy", "--app", "exec", "--create-app", dir.toString());

    CliRun named = ok("{\"name\":\"Cleave\"}".getBytes(StandardCharsets.UTF_8), "invoke", "exec", "hello");
    assertEquals("Hello Cleave", Json.MAPPER.readTree(named.out()).get("message").asText(), named::toString);
    assertTrue(named.out().endsWith("\n"), named::toString);

    CliRun withId = ok("{\"name\":\"Ids\"}".getBytes(StandardCharsets.UTF_8), "invoke", "--display-call-id",
        "--content-type", "application/json", "exec", "hello");
    List<String> lines = withId.out().lines().toList();
    assertTrue(lines.get(0).matches("Call ID: \\S+"), withId::toString);
    assertEquals("Hello Ids", Json.MAPPER.readTree(lines.get(1)).get("message").asText(), withId::toString);

    String callId = lines.get(0).substring("Call ID: ".length());
    JsonNode activation = Json.MAPPER.readTree(ok("activations", "get", callId).out());
    assertEquals(callId, activation.get("id").asText());
    CliRun listed = ok("activations", "list", "--fn", "exec/hello");
    assertTrue(listed.out().lines().findFirst().orElseThrow().startsWith("ID"), listed::toString);
    assertTrue(listed.out().contains(callId), listed::toString);
    JsonNode asJson = Json.MAPPER.readTree(ok("activations", "list", "--fn", "exec/hello", "--limit", "1", "-o", "json").out());
    assertEquals(1, asJson.size());
    assertEquals(callId, asJson.get(0).get("id").asText(), "newest first");

    // --since: a span back from now or an RFC 3339 time; the calls above started a moment ago.
    assertTrue(ok("activations", "list", "--fn", "exec/hello", "--since", "1h").out().contains(callId));
    Instant started = Instant.parse(activation.get("start").asText());
    assertTrue(ok("activations", "list", "--fn", "exec/hello", "--since", started.minusSeconds(1).toString()).out().contains(callId));
    CliRun later = ok("activations", "list", "--fn", "exec/hello", "--since", started.plusSeconds(3600).toString());
    assertEquals("", later.out(), later::toString);
    assertEquals("No activations found\n", later.err(), later::toString);
  }

  @Test
  void invokePassesStdinPrintsTheAnswerAndShowsLogsAndErrors() throws Exception {
    deployEcho("echo", "logs");

    CliRun echoed = ok("ping".getBytes(StandardCharsets.UTF_8), "invoke", "--display-call-id", "logs", "echo");
    assertTrue(echoed.out().endsWith("echo ping\n"), echoed::toString);
    String callId = echoed.out().lines().findFirst().orElseThrow().substring("Call ID: ".length());
    CliRun logs = ok("activations", "logs", callId);
    assertTrue(logs.out().contains("stdout says ping"), logs::toString);
    assertTrue(logs.out().contains("stderr says ping"), logs::toString);
    CliRun last = ok("activations", "logs", "--last", "--fn", "logs/echo");
    assertTrue(last.out().contains("stdout says ping"), last::toString);

    CliRun failed = server.cli("raise".getBytes(StandardCharsets.UTF_8), "invoke", "logs", "echo");
    assertEquals(1, failed.exit(), failed::toString);
    assertTrue(failed.err().startsWith("cleave: error invoking function logs/echo (HTTP 502)"), failed::toString);
    assertFalse(failed.err().contains("Exception"), failed::toString);
  }

  @Test
  void invokeStopsWaitingAtItsTimeoutAndSaysSo() throws Exception {
    deployEcho("slow", "waits");
    // Warm it up so that the timed call measures waiting, not a cold start.
    ok("fast".getBytes(StandardCharsets.UTF_8), "invoke", "waits", "slow");

    long start = System.nanoTime();
    CliRun r = server.cli("sleep 20".getBytes(StandardCharsets.UTF_8), "invoke", "--timeout", "2", "waits", "slow");
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(1, r.exit(), r::toString);
    assertTrue(r.err().startsWith("cleave: no answer from waits/slow within 2 s (--timeout)"), r::toString);
    assertTrue(r.err().contains("wait longer with --timeout SECONDS"), r::toString);
    assertTrue(seconds < 15, "gave up after " + seconds + " s");
  }

  @Test
  void anInvokeKeyInvokesByNameThoughItMayReadNothingOfTheFunction() throws Exception {
    deployEcho("callme", "invokers");
    String key = ok("keys", "create", "--role", "invoke", "--app", "invokers").out().strip();
    CliRun called = CliRun.runWithInput("hi".getBytes(StandardCharsets.UTF_8), "invoke", "invokers", "callme",
        "--api-url", server.url, "--api-key", key);
    assertEquals(0, called.exit(), called::toString);
    assertTrue(called.out().endsWith("echo hi\n"), called::toString);
    CliRun read = CliRun.runWithInput(new byte[0], "inspect", "fn", "invokers", "callme", "--api-url", server.url,
        "--api-key", key);
    assertEquals(1, read.exit(), "an invoke key reads nothing: " + read);
  }

  private static void deployEcho(String fn, String app) throws Exception {
    Path dir = server.work.resolve(fn);
    assertEquals(0, CliRun.run("init", "--runtime", "python", dir.toString()).exit());
    Files.writeString(dir.resolve("func.py"), LOGGING_FN);
    ok("deploy", "--app", app, "--create-app", dir.toString());
  }
}
