package io.cleave.bench.replay;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared data directory (Azure traces, images, FINRA data) that sits beside the
 * repository: {@code $CLEAVE_SHARED_DATA} if set, else the nearest {@code shared/data} found from
 * {@code $CLEAVE_HOME} upwards (a clone has it at {@code ../shared/data}; a worktree may sit deeper).
 */
public final class SharedData {
  private SharedData() {}

  public static Path dir() {
    String explicit = System.getenv("CLEAVE_SHARED_DATA");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit).toAbsolutePath();
    }
    for (Path p = home(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("shared").resolve("data");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("no shared data directory beside " + home()
        + " (expected ../shared/data); set CLEAVE_SHARED_DATA");
  }

  /** The repository root: $CLEAVE_HOME (set by the launcher), the build's cleave.repo, or the cwd. */
  public static Path home() {
    String env = System.getenv("CLEAVE_HOME");
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath();
    }
    String prop = System.getProperty("cleave.repo");
    return Path.of(prop != null && !prop.isBlank() ? prop : ".").toAbsolutePath().normalize();
  }
}
