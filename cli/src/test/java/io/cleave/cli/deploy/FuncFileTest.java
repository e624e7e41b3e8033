package io.cleave.cli.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.client.CliFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FuncFileTest {
  @TempDir Path dir;

  private FuncFile write(String yaml) throws Exception {
    Files.writeString(dir.resolve("func.yaml"), yaml);
    return FuncFile.read(dir);
  }

  @Test
  void bumpKeepsEveryOtherFieldInPlace() throws Exception {
    FuncFile ff = write("""
        schema_version: 20180708
        name: hello
        version: 0.0.9
        runtime: python
        build_image: fnproject/python:3.11-dev
        memory: 256
        config:
          GREETING: hi
        triggers:
        - name: hello
          type: http
          source: /hello
        """);
    assertEquals("0.0.10", ff.bumpPatch());
    ff.write(dir);
    assertEquals("""
        schema_version: 20180708
        name: hello
        version: 0.0.10
        runtime: python
        build_image: fnproject/python:3.11-dev
        memory: 256
        config:
          GREETING: hi
        triggers:
        - name: hello
          type: http
          source: /hello
        """, Files.readString(dir.resolve("func.yaml")));
    assertEquals(Map.of("GREETING", "hi"), ff.config());
    assertEquals(List.of(new FuncFile.TriggerSpec("hello", "http", "/hello")), ff.triggers());
  }

  @Test
  void missingVersionStartsAtTheInitialOneAfterTheName() throws Exception {
    FuncFile ff = write("name: hello\nruntime: python\n");
    assertEquals("0.0.1", ff.bumpPatch());
    assertEquals("name: hello\nversion: 0.0.1\nruntime: python\n", ff.text());
  }

  @Test
  void aVersionThatIsNotSemverCannotBeBumped() throws Exception {
    FuncFile ff = write("name: hello\nversion: latest\n");
    CliFailure e = assertThrows(CliFailure.class, ff::bumpPatch);
    assertTrue(e.getMessage().contains("--no-bump"), e.getMessage());
  }

  @Test
  void invalidFilesAreRefusedWithTheReason() throws Exception {
    assertTrue(assertThrows(CliFailure.class, () -> FuncFile.read(dir)).getMessage().contains("no func.yaml"));
    assertTrue(assertThrows(CliFailure.class, () -> write("name: [oops")).getMessage().contains("not valid YAML"));
    assertTrue(assertThrows(CliFailure.class, () -> write("version: 0.0.1\n")).getMessage().contains("name is missing"));
    assertTrue(assertThrows(CliFailure.class, () -> write("name: Hello\n")).getMessage().contains("lowercase"));
    assertTrue(assertThrows(CliFailure.class, () -> write("name: h\nmemory: lots\n")).getMessage().contains("memory must be a whole number, got 'lots'"));
    assertTrue(assertThrows(CliFailure.class, () -> write("name: h\ntimeout: -1\n")).getMessage().contains("timeout must be between 1 and 300 seconds, got -1"));
    assertTrue(assertThrows(CliFailure.class, () -> write("name: h\nmemory: 8193\n")).getMessage().contains("memory must be between 1 and 8192 MB"));
    assertTrue(assertThrows(CliFailure.class, () -> write("name: h\nidle_timeout: 0\n")).getMessage().contains("idle_timeout must be between 1 and 3600"));
    assertTrue(assertThrows(CliFailure.class, () -> write("name: h\nschema_version: 1\n")).getMessage().contains("schema_version"));
    assertTrue(assertThrows(CliFailure.class, () -> write("name: h\ntriggers:\n- name: t\n  type: cron\n  source: /t\n"))
        .getMessage().contains("only 'http'"));
    assertTrue(assertThrows(CliFailure.class, () -> write("name: h\nconfig: [a]\n")).getMessage().contains("config must be a mapping"));
  }
}
