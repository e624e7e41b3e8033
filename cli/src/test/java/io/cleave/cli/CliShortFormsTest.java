package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.json.Json;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short forms fn users type ({@code ls c cf i u d rm}, {@code a f tr t}) against a real
 * server: each does what its long form does and says so the same way.
 */
class CliShortFormsTest {
  static ApiServer server;

  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    server = ApiServer.start("cli-short", 10L * 1024 * 1024);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static String out(String... args) {
    return server.ok(args).out();
  }

  @Test
  void appShortForms() {
    assertEquals("Successfully created app: short-a\n", out("c", "a", "short-a"));
    assertTrue(out("ls", "a").lines().anyMatch(l -> l.matches("short-a\\s+\\S+")), () -> out("ls", "a"));
    assertEquals("short-a updated K with 1\n", out("cf", "a", "short-a", "K", "1"));
    assertEquals("1\n", out("get", "cf", "a", "short-a", "K"));
    assertEquals(out("list", "config", "app", "short-a"), out("ls", "cf", "a", "short-a"));
    assertEquals("app short-a updated: config L set\n", out("u", "a", "short-a", "--config", "L=2"));
    assertEquals("\"short-a\"\n", out("i", "a", "short-a", "name"));
    assertEquals("Removed key 'K' from app 'short-a'\n", out("unset", "cf", "a", "short-a", "K"));
    assertEquals("App short-a deleted\n", out("d", "a", "short-a"));
    assertEquals("Successfully created app: short-b\n", out("c", "a", "short-b"));
    assertEquals("App short-b deleted\n", out("rm", "a", "short-b"));
    server.fails("app short-a not found", "i", "a", "short-a");
  }

  @Test
  void fnAndTriggerShortForms() throws Exception {
    Path dir = tmp.resolve("made");
    assertEquals(0, CliRun.run("init", "--runtime", "python", dir.toString()).exit());
    server.ok("deploy", "--app", "short-f", "--create-app", dir.toString());
    String image = Json.MAPPER.readTree(out("i", "f", "short-f", "made")).get("image").asText();

    assertEquals("Successfully created function: copy with " + image + "\n", out("c", "f", "short-f", "copy", image));
    assertEquals(out("list", "fns", "short-f"), out("ls", "f", "short-f"));
    assertTrue(out("ls", "f", "short-f").contains("copy"));
    assertEquals("short-f copy updated: memory 128 -> 384\n", out("u", "f", "short-f", "copy", "--memory", "384"));
    assertEquals("short-f copy updated K with v\n", out("cf", "f", "short-f", "copy", "K", "v"));
    assertEquals("384\n", out("i", "f", "short-f", "copy", "memory"));

    assertEquals("Successfully created trigger: t1\nTrigger Endpoint: " + server.url + "/t/short-f/t1\n",
        out("c", "tr", "short-f", "copy", "t1"));
    assertEquals("Successfully created trigger: t2\nTrigger Endpoint: " + server.url + "/t/short-f/elsewhere\n",
        out("c", "t", "short-f", "copy", "t2", "--source", "/elsewhere"));
    assertEquals(out("list", "triggers", "short-f", "copy"), out("ls", "tr", "short-f", "copy"));
    assertEquals(out("list", "triggers", "short-f"), out("ls", "t", "short-f"));
    assertEquals(server.url + "/t/short-f/elsewhere\n", out("i", "t", "short-f", "copy", "t2", "--endpoint"));
    assertEquals("\"/t1\"\n", out("i", "tr", "short-f", "copy", "t1", "source"));
    assertEquals("short-f copy t1 deleted\n", out("d", "tr", "short-f", "copy", "t1"));
    assertEquals("short-f copy t2 deleted\n", out("rm", "t", "short-f", "copy", "t2"));
    assertFalse(out("ls", "t", "short-f").contains("t2"));

    assertEquals("Function copy deleted\n", out("d", "f", "short-f", "copy"));
    assertEquals("Function made deleted\n", out("rm", "f", "short-f", "made"));
    server.fails("function made not found in app short-f", "i", "f", "short-f", "made");
  }
}
