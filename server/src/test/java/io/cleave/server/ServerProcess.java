package io.cleave.server;

import io.cleave.common.http.Http;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code cleave server} as a separate JVM, the way the launcher runs it. */
final class ServerProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("cleave: listening on (http://\\S+) ");

  final Process process;
  final String url;
  /** Everything the server printed up to and including its "listening" line. */
  final String startOutput;
  /** Everything the server printed so far. */
  final StringBuffer output;

  private ServerProcess(Process process, String url, String startOutput, StringBuffer output) {
    this.process = process;
    this.url = url;
    this.startOutput = startOutput;
    this.output = output;
  }

  /** A server on a free port over {@code dataDir}, in a cluster of its own unless {@code extra} says otherwise. */
  static ServerProcess start(Path dataDir, String clusterName, String... extra) throws Exception {
    return start(args(dataDir, clusterName, extra), Map.of());
  }

  private static List<String> args(Path dataDir, String clusterName, String... extra) {
    List<String> args = new ArrayList<>(List.of("--port", "0", "--data-dir", dataDir.toString(),
        "--cluster-name", clusterName, "--http-instances", "1"));
    args.addAll(List.of(extra));
    return args;
  }

  /**
   * Its forkd's instances on the node's network, so a witness the test runs on the host sees what
   * functions report (CLEAVE_FORKD_INSTANCE_NETWORK=host; the sandbox's own tests use the default).
   */
  static final Map<String, String> HOST_NETWORK = Map.of("CLEAVE_FORKD_INSTANCE_NETWORK", "host");

  /** A server over {@code dataDir} whose functions can reach the test on the host ({@link #HOST_NETWORK}). */
  static ServerProcess startWatched(Path dataDir, String clusterName) throws Exception {
    return start(args(dataDir, clusterName), HOST_NETWORK);
  }

  /** A server with exactly these arguments and this JVM's environment plus {@code env}; returns once it listens. */
  static ServerProcess start(List<String> args, Map<String, String> env) throws Exception {
    Process p = launch(args, env);
    CompletableFuture<String> url = new CompletableFuture<>();
    StringBuffer out = new StringBuffer();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          out.append(line).append('\n');
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            url.complete(m.group(1) + "\n" + out);
          }
        }
      } catch (IOException e) {
        url.completeExceptionally(e);
      }
      url.completeExceptionally(new IllegalStateException("server exited before listening:\n" + out));
    }, "server-output");
    reader.setDaemon(true);
    reader.start();
    try {
      String[] urlAndOutput = url.get(60, TimeUnit.SECONDS).split("\n", 2);
      return new ServerProcess(p, urlAndOutput[0], urlAndOutput[1], out);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException("server did not start:\n" + out, e);
    }
  }

  /** How a server that was expected to stop by itself ended. */
  record Ended(int exitCode, String output) {}

  /** Runs a server that should exit by itself (a refused configuration) and returns how it ended. */
  static Ended run(List<String> args, Map<String, String> env, Duration limit) throws Exception {
    Process p = launch(args, env);
    CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getInputStream().readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the server was still running after " + limit.toSeconds() + " s");
    }
    return new Ended(p.exitValue(), new String(output.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
  }

  private static Process launch(List<String> args, Map<String, String> env) throws IOException {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    // SIGTERM when the thread starting it ends (the test thread lives as long as this JVM): a test
    // JVM killed for hanging leaves no server behind, and the server stops its forkd.
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/setpriv", "--pdeathsig", "TERM", "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-cp", cp, "io.cleave.server.ServerCommand"));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    // The test servers' known admin key: none makes a first key of its own or writes a key file.
    pb.environment().put("CLEAVE_ADMIN_KEY", Http.TEST_ADMIN_KEY);
    pb.environment().putAll(env);
    return pb.start();
  }

  /**
   * SIGKILL of the server's JVM alone: no shutdown hook, no flush, nothing. Returns the processes
   * it had started (forkd and what forkd runs): they are left to end on their own, as after a real
   * crash.
   */
  List<ProcessHandle> kill9() throws InterruptedException {
    List<ProcessHandle> started = process.descendants().toList();
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("the server outlived SIGKILL by 30 s");
    }
    return started;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
