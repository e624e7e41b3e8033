package io.cleave.forkd;

import java.nio.file.Path;
import java.util.Map;

/**
 * forkd's settings: the data dir and socket from the command line, the knobs from the
 * environment (documented in README.md, "Execution").
 */
record ForkdConfig(
    Path dataDir,
    Path socket,
    Path helper,
    Path runtimeSource,
    int poolSize,
    int uidBase,
    int uidCount,
    int pidsMax,
    long tmpBytes,
    long logLimitBytes,
    long startTimeoutMs,
    boolean favorDynmods) {

  static ForkdConfig of(Path dataDir, Path socket, Map<String, String> env) {
    Path data = dataDir.toAbsolutePath().normalize();
    String home = env.getOrDefault("CLEAVE_HOME", System.getProperty("cleave.repo", "."));
    Path helper = Path.of(env.getOrDefault("CLEAVE_FORKD_HELPER",
        Path.of(home, "forkd", "native", "build", "cleave-container").toString())).toAbsolutePath().normalize();
    return new ForkdConfig(
        data,
        socket == null ? data.resolve("run").resolve("forkd.sock") : socket.toAbsolutePath().normalize(),
        helper,
        Path.of(home, "sdk-python").toAbsolutePath().normalize(),
        intKnob(env, "CLEAVE_FORKD_POOL", 2, 0, 256),
        intKnob(env, "CLEAVE_FORKD_UID_BASE", 900_000, 1000, 2_000_000_000),
        intKnob(env, "CLEAVE_FORKD_UIDS", 100_000, 1, 10_000_000),
        intKnob(env, "CLEAVE_FORKD_PIDS_MAX", 256, 8, 1_000_000),
        intKnob(env, "CLEAVE_FORKD_TMP_MB", 64, 1, 1 << 20) * 1024L * 1024,
        intKnob(env, "CLEAVE_FORKD_LOG_LIMIT_MB", 64, 1, 1 << 20) * 1024L * 1024,
        intKnob(env, "CLEAVE_FORKD_START_TIMEOUT_MS", 30_000, 100, 3_600_000),
        !"false".equalsIgnoreCase(env.getOrDefault("CLEAVE_FORKD_FAVOR_DYNMODS", "true")));
  }

  private static int intKnob(Map<String, String> env, String name, int fallback, int min, int max) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    int v;
    try {
      v = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'");
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException(name + " must be within " + min + ".." + max + ", got " + v);
    }
    return v;
  }

  Path runDir() {
    return dataDir.resolve("run");
  }

  Path instancesDir() {
    return runDir().resolve("instances");
  }

  Path forksDir() {
    return runDir().resolve("forks");
  }

  Path slotsDir() {
    return runDir().resolve("slots");
  }

  /** forkd's copy of the function runtime, bound into every container. */
  Path runtimeDir() {
    return runDir().resolve("runtime").resolve("sdk-python");
  }

  Path stagingRoot() {
    return runDir().resolve("root");
  }
}
