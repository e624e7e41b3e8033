package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs host tools (ip, umount) with a bound on time; a failure names the command and what it said. */
final class HostCommand {
  private static final long TIMEOUT_SECONDS = 30;

  record Result(int exit, String out, String err) {
    boolean ok() {
      return exit == 0;
    }
  }

  private HostCommand() {}

  /** Runs the command; a missing program or a hang is a failure, a non-zero exit is returned. */
  static Result run(List<String> command) {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    } catch (IOException e) {
      throw new CliFailure("cannot run `" + String.join(" ", command) + "`: " + e.getMessage()
          + (command.get(0).equals("ip") ? " (install iproute2: apt-get install -y iproute2)" : ""));
    }
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new CliFailure("`" + String.join(" ", command) + "` did not finish within " + TIMEOUT_SECONDS + " s");
      }
      return new Result(p.exitValue(), out.join(), err.join());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new CliFailure("interrupted while running `" + String.join(" ", command) + "`");
    }
  }

  /** Runs the command and fails unless it exits 0; {@code what} says what it was for. */
  static String check(String what, List<String> command) {
    Result r = run(command);
    if (!r.ok()) {
      throw new CliFailure(failure(what, command, r));
    }
    return r.out();
  }

  static String failure(String what, List<String> command, Result r) {
    String said = r.err().isBlank() ? r.out().strip() : r.err().strip();
    return what + ": `" + String.join(" ", command) + "` exited " + r.exit()
        + (said.isEmpty() ? "" : ": " + said) + privilegeHint(said);
  }

  /** What a permission failure needs, said where the tool's own words are terse. */
  static String privilegeHint(String said) {
    if (said.contains("Operation not permitted") || said.contains("Permission denied")) {
      return " (this needs root: CAP_NET_ADMIN for links and addresses, CAP_SYS_ADMIN for namespaces and mounts;"
          + " run it as root, e.g. sudo ./cleave cluster ...)";
    }
    return "";
  }

  /** Reads a stream to its end on its own thread (the common pool has one thread on 2 cores). */
  private static CompletableFuture<String> drain(InputStream in) {
    CompletableFuture<String> text = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (in) {
        text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        text.complete("");
      }
    }, "host-command-output");
    reader.setDaemon(true);
    reader.start();
    return text;
  }
}
