package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CLI against {@code cleave server} run as its own process, the way users run it, with the
 * node's execution side: deploy, invoke and read activations and logs back.
 */
class CliExecutionTest {
  private static final Pattern LISTENING = Pattern.compile("cleave: listening on (http://\\S+)");
  private static final ObjectMapper JSON = new ObjectMapper();

  static final String LOGGING_FN = """
      import io
      import json
      import sys


      def handler(ctx, data: io.BytesIO = None):
          text = data.getvalue().decode()
          print("stdout says " + text)
          print("stderr says " + text, file=sys.stderr)
          if text == "raise":
              raise ValueError("bad input 42")
          return "echo " + text
      """;

  static Path work;
  static Process server;
  static String url;
  static final StringBuffer serverOutput = new StringBuffer();

  @BeforeAll
  static void start() throws Exception {
    work = Files.createTempDirectory("cleave-cli-exec-");
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-cp", cp, "io.cleave.cli.Main", "server", "--port", "0",
        "--data-dir", work.resolve("data").toString(), "--cluster-name", "cli-exec-" + UUID.randomUUID(),
        "--http-instances", "1"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("CLEAVE_HOME", System.getProperty("cleave.repo", Path.of("..").toAbsolutePath().normalize().toString()));
    server = pb.start();
    CompletableFuture<String> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          serverOutput.append(line).append('\n');
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            listening.complete(m.group(1));
          }
        }
      } catch (IOException e) {
        listening.completeExceptionally(e);
      }
      listening.completeExceptionally(new IllegalStateException("server exited before listening:\n" + serverOutput));
    }, "cli-exec-server-output");
    reader.setDaemon(true);
    reader.start();
    url = listening.get(120, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null && server.isAlive()) {
      server.destroy();
      if (!server.waitFor(60, TimeUnit.SECONDS)) {
        server.destroyForcibly();
        server.waitFor(30, TimeUnit.SECONDS);
      }
    }
    if (work != null) {
      try (Stream<Path> walk = Files.walk(work)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  static CliRun cli(byte[] stdin, String... args) {
    String[] full = new String[args.length + 2];
    System.arraycopy(args, 0, full, 0, args.length);
    full[args.length] = "--api-url";
    full[args.length + 1] = url;
    return CliRun.runWithInput(stdin, full);
  }

  static CliRun ok(String... args) {
    return ok(new byte[0], args);
  }

  static CliRun ok(byte[] stdin, String... args) {
    CliRun r = cli(stdin, args);
    assertEquals(0, r.exit(), () -> String.join(" ", args) + "\n" + r + "\n--- server\n" + serverOutput);
    return r;
  }

  @Test
  void theInitTemplateDeploysAndAnswersLikeFnsHelloWorld() throws Exception {
    Path dir = work.resolve("hello");
    assertEquals(0, CliRun.run("init", "--runtime", "python", "--trigger", "http", dir.toString()).exit());
    ok("deploy", "--app", "exec", "--create-app", dir.toString());

    CliRun named = ok("{\"name\":\"Cleave\"}".getBytes(StandardCharsets.UTF_8), "invoke", "exec", "hello");
    assertEquals("Hello Cleave", JSON.readTree(named.out()).get("message").asText(), named::toString);
    assertTrue(named.out().endsWith("\n"), named::toString);

    CliRun withId = ok("{\"name\":\"Ids\"}".getBytes(StandardCharsets.UTF_8), "invoke", "--display-call-id",
        "--content-type", "application/json", "exec", "hello");
    List<String> lines = withId.out().lines().toList();
    assertTrue(lines.get(0).matches("Call ID: \\S+"), withId::toString);
    assertEquals("Hello Ids", JSON.readTree(lines.get(1)).get("message").asText(), withId::toString);

    String callId = lines.get(0).substring("Call ID: ".length());
    JsonNode activation = JSON.readTree(ok("activations", "get", callId).out());
    assertEquals(callId, activation.get("id").asText());
    CliRun listed = ok("activations", "list", "--fn", "exec/hello");
    assertTrue(listed.out().lines().findFirst().orElseThrow().startsWith("ID"), listed::toString);
    assertTrue(listed.out().contains(callId), listed::toString);
    JsonNode asJson = JSON.readTree(ok("activations", "list", "--fn", "exec/hello", "--limit", "1", "-o", "json").out());
    assertEquals(1, asJson.size());
    assertEquals(callId, asJson.get(0).get("id").asText(), "newest first");
  }

  @Test
  void invokePassesStdinPrintsTheAnswerAndShowsLogsAndErrors() throws Exception {
    Path dir = work.resolve("echo");
    assertEquals(0, CliRun.run("init", "--runtime", "python", dir.toString()).exit());
    Files.writeString(dir.resolve("func.py"), LOGGING_FN);
    ok("deploy", "--app", "logs", "--create-app", dir.toString());

    CliRun echoed = ok("ping".getBytes(StandardCharsets.UTF_8), "invoke", "--display-call-id", "logs", "echo");
    assertTrue(echoed.out().endsWith("echo ping\n"), echoed::toString);
    String callId = echoed.out().lines().findFirst().orElseThrow().substring("Call ID: ".length());
    CliRun logs = ok("activations", "logs", callId);
    assertTrue(logs.out().contains("stdout says ping"), logs::toString);
    assertTrue(logs.out().contains("stderr says ping"), logs::toString);
    CliRun last = ok("activations", "logs", "--last", "--fn", "logs/echo");
    assertTrue(last.out().contains("stdout says ping"), last::toString);

    CliRun failed = cli("raise".getBytes(StandardCharsets.UTF_8), "invoke", "logs", "echo");
    assertEquals(1, failed.exit(), failed::toString);
    assertTrue(failed.err().startsWith("cleave: error invoking function logs/echo (HTTP 502)"), failed::toString);
    assertFalse(failed.err().contains("Exception"), failed::toString);
  }
}
