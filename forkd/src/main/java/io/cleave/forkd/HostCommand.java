package io.cleave.forkd;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A command of the node's network tools ({@code ip}, {@code nft}), run without a shell: every
 * argument is one argv entry, so no value is ever parsed as shell syntax.
 */
final class HostCommand {
  private static final long TIMEOUT_S = 10;

  private HostCommand() {}

  /** What a command answered: its exit code and output. */
  record Result(int exit, String stdout, String stderr) {}

  /** Runs {@code argv}, {@code stdin} (or nothing) on its standard input; answers whatever it exits with. */
  static Result run(List<String> argv, String stdin) throws IOException {
    Process p = new ProcessBuilder(argv).start();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getErrorStream().readAllBytes();
      } catch (IOException e) {
        return new byte[0];
      }
    });
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", argv) + " did not finish within " + TIMEOUT_S + " s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(String.join(" ", argv) + " interrupted");
    }
    return new Result(p.exitValue(), out, new String(err.join(), StandardCharsets.UTF_8).strip());
  }

  /** Runs {@code argv}; a non-zero exit is an error that says what was being done and what the tool said. */
  static String check(String what, List<String> argv, String stdin) throws IOException {
    Result r = run(argv, stdin);
    if (r.exit() != 0) {
      throw new IOException(what + ": " + String.join(" ", argv) + " exited " + r.exit() + ": " + r.stderr());
    }
    return r.stdout();
  }

  static String check(String what, List<String> argv) throws IOException {
    return check(what, argv, null);
  }
}
