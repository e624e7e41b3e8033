package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every API command against a port nobody listens on: one clear line, exit 1, nothing changed. */
class ServerDownTest {
  static String url;

  @BeforeAll
  static void freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      url = "http://127.0.0.1:" + s.getLocalPort();
    }
  }

  @Test
  void commandsSayTheServerCannotBeReached() {
    String[][] commands = {
      {"list", "apps"},
      {"list", "fns", "a"},
      {"invoke", "a", "f"},
      {"inspect", "app", "a"},
      {"create", "app", "a"},
      {"config", "app", "a", "k", "v"},
      {"delete", "app", "a"},
      {"activations", "list"},
    };
    for (String[] c : commands) {
      String[] args = new String[c.length + 2];
      System.arraycopy(c, 0, args, 0, c.length);
      args[c.length] = "--api-url";
      args[c.length + 1] = url;
      CliRun r = CliRun.run(args);
      assertEquals(1, r.exit(), r.toString());
      assertEquals("cleave: cannot reach the API at " + url + " (is `./cleave server` running?)\n", r.err(), r.toString());
    }
  }

  @Test
  void deployLeavesFuncYamlAloneWhenTheServerIsDown(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("hello");
    assertEquals(0, CliRun.run("init", "--runtime", "python", dir.toString()).exit());
    String before = Files.readString(dir.resolve("func.yaml"));
    CliRun r = CliRun.run("deploy", "--api-url", url, "--app", "a", "--create-app", dir.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("cannot reach the API"), r.toString());
    assertEquals(before, Files.readString(dir.resolve("func.yaml")));
  }

  @Test
  void aBadApiUrlIsExplained() {
    CliRun r = CliRun.run("list", "apps", "--api-url", "localhost:8080");
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("cleave: invalid API URL 'localhost:8080'"), r.toString());
    assertFalse(r.err().contains("Exception"), r.toString());
  }
}
