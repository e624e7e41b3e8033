package io.cleave.common.access;

import io.cleave.common.config.UserHome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * The file where {@code cleave server} leaves the admin key it made on first start and where the
 * CLI looks for a key last: {@code $CLEAVE_KEY_FILE}, else {@code ~/.cleave/key}. Mode 0600 in a
 * 0700 directory: only its owner reads it.
 */
public final class KeyFile {
  private KeyFile() {}

  /** {@code $CLEAVE_KEY_FILE}, else {@code ~/.cleave/key}. */
  public static Path defaultPath() {
    return defaultPath(System.getenv(), System.getProperty("user.home"));
  }

  /** The key file given an environment and the account's home directory ({@link UserHome}). */
  static Path defaultPath(Map<String, String> env, String accountHome) {
    String configured = env.get("CLEAVE_KEY_FILE");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured.strip());
    }
    return UserHome.of(env, accountHome).resolve(".cleave").resolve("key");
  }

  /** Replaces the file with {@code key}, never readable by others, not even for a moment. */
  public static void write(Path file, String key) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path tmp = Files.createTempFile(dir, ".key", ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(tmp, key + "\n", StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The key in {@code file}, if the file exists and holds one. */
  public static Optional<String> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    String text = Files.readString(file, StandardCharsets.UTF_8).strip();
    return text.isEmpty() ? Optional.empty() : Optional.of(text);
  }
}
