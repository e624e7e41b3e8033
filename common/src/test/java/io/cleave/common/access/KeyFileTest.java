package io.cleave.common.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileTest {
  @Test
  void theKeyLivesUnderHomeWhenHomeIsSet() {
    assertEquals(Path.of("/srv/alice/.cleave/key"), KeyFile.defaultPath(Map.of("HOME", "/srv/alice"), "/root"));
  }

  @Test
  void anExplicitKeyFileWinsOverHome() {
    assertEquals(Path.of("/etc/cleave/key"),
        KeyFile.defaultPath(Map.of("HOME", "/srv/alice", "CLEAVE_KEY_FILE", " /etc/cleave/key "), "/root"));
  }

  @Test
  void anUnsetBlankOrRelativeHomeFallsBackToTheAccountsHome() {
    assertEquals(Path.of("/root/.cleave/key"), KeyFile.defaultPath(Map.of(), "/root"));
    assertEquals(Path.of("/root/.cleave/key"), KeyFile.defaultPath(Map.of("HOME", " "), "/root"));
    assertEquals(Path.of("/root/.cleave/key"), KeyFile.defaultPath(Map.of("HOME", "relative/dir"), "/root"));
  }

  @Test
  void aWrittenKeyIsReadBackAndOnlyItsOwnerCanReadIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("fresh").resolve("key");
    KeyFile.write(file, "k-123");
    assertEquals("k-123", KeyFile.read(file).orElseThrow());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    assertTrue(KeyFile.read(dir.resolve("absent")).isEmpty());
    assertFalse(Files.list(file.getParent()).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")));
  }
}
