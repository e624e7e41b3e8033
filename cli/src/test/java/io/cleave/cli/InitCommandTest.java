package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitCommandTest {
  @TempDir Path tmp;

  @Test
  void writesFuncYamlCodeAndRequirementsLikeFnInit() throws Exception {
    Path dir = tmp.resolve("hello");
    CliRun r = CliRun.run("init", "--runtime", "python", "--trigger", "http", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    assertEquals("""
        schema_version: 20180708
        name: hello
        version: 0.0.1
        runtime: python
        entrypoint: /python/bin/fdk /function/func.py handler
        memory: 256
        triggers:
        - name: hello
          type: http
          source: /hello
        """, Files.readString(dir.resolve("func.yaml")));
    String code = Files.readString(dir.resolve("func.py"));
    assertTrue(code.contains("from fdk import response"), code);
    assertTrue(code.contains("def handler(ctx, data: io.BytesIO = None):"), code);
    assertTrue(code.contains("{\"message\": \"Hello {0}\".format(name)}"), code);
    assertEquals("fdk\n", Files.readString(dir.resolve("requirements.txt")));
    assertTrue(r.out().contains("func.yaml created."), r.toString());
  }

  @Test
  void withoutTriggerAndWithLimitsWritesNoTriggers() throws Exception {
    Path dir = tmp.resolve("plain");
    CliRun r = CliRun.run("init", "--runtime", "python", "--memory", "512", "--timeout", "60", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    String yaml = Files.readString(dir.resolve("func.yaml"));
    assertTrue(yaml.contains("memory: 512\ntimeout: 60\n"), yaml);
    assertFalse(yaml.contains("triggers"), yaml);
  }

  @Test
  void initIntoAnEmptyExistingDirectoryWorks() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("empty"));
    assertEquals(0, CliRun.run("init", "--runtime", "python", dir.toString()).exit());
    assertTrue(Files.exists(dir.resolve("func.yaml")));
  }

  @Test
  void refusesANonEmptyDirectoryAndChangesNothing() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("busy"));
    Files.writeString(dir.resolve("mine.txt"), "keep");
    CliRun r = CliRun.run("init", "--runtime", "python", dir.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().startsWith("cleave: directory "), r.toString());
    assertTrue(r.err().contains("not empty"), r.toString());
    assertFalse(r.err().contains("Exception"), r.toString());
    assertFalse(Files.exists(dir.resolve("func.yaml")));
  }

  @Test
  void refusesBadNamesRuntimesAndTriggerTypes() {
    CliRun upper = CliRun.run("init", "--runtime", "python", tmp.resolve("Hello").toString());
    assertEquals(2, upper.exit());
    assertTrue(upper.err().contains("must be lowercase"), upper.toString());
    CliRun colon = CliRun.run("init", "--runtime", "python", tmp.resolve("a:b").toString());
    assertEquals(2, colon.exit());
    assertTrue(colon.err().contains("may only contain"), colon.toString());
    CliRun go = CliRun.run("init", "--runtime", "go", tmp.resolve("g").toString());
    assertEquals(2, go.exit());
    assertTrue(go.err().contains("'go' runtime"), go.toString());
    CliRun cron = CliRun.run("init", "--runtime", "python", "--trigger", "cron", tmp.resolve("c").toString());
    assertEquals(2, cron.exit());
    assertTrue(cron.err().contains("trigger type 'cron'"), cron.toString());
    assertFalse(Files.exists(tmp.resolve("Hello")));
    assertFalse(Files.exists(tmp.resolve("g")));
    assertFalse(Files.exists(tmp.resolve("c")));
  }
}
