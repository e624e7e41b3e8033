package io.cleave.cli.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a helper program (python, pip) with its output captured in a file, for deploy's build steps. */
final class ChildProcess {
  /** How it ended: exit code (-1 when it did not end in time) and everything it printed. */
  record Result(int exit, String output) {
    boolean ok() {
      return exit == 0;
    }
  }

  private ChildProcess() {}

  /**
   * Runs {@code command} in {@code dir} with {@code env} added to this process's environment;
   * stdout and stderr go to one file so that their order is kept. {@code timeoutSeconds} 0 waits
   * as long as it takes.
   */
  static Result run(List<String> command, Path dir, Map<String, String> env, long timeoutSeconds) throws IOException {
    Path log = Files.createTempFile("cleave-child-", ".log");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(dir == null ? null : dir.toFile())
          .redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
      pb.environment().putAll(env);
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        return new Result(127, command.get(0) + ": " + e.getMessage());
      }
      p.getOutputStream().close();
      try {
        if (timeoutSeconds <= 0) {
          p.waitFor();
        } else if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
          return new Result(-1, Files.readString(log, StandardCharsets.UTF_8));
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running " + command.get(0));
      }
      return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
