package io.cleave.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  private ServerProcess(Process process, String url, String startOutput) {
    this.process = process;
    this.url = url;
    this.startOutput = startOutput;
  }

  static ServerProcess start(Path dataDir, String clusterName, String... extra) throws Exception {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-cp", cp, "io.cleave.server.ServerCommand", "--port", "0",
        "--data-dir", dataDir.toString(), "--cluster-name", clusterName, "--http-instances", "1"));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
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
      return new ServerProcess(p, urlAndOutput[0], urlAndOutput[1]);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException("server did not start:\n" + out, e);
    }
  }

  /**
   * SIGKILL: no shutdown hook, no flush, nothing. Processes the server started (forkd and what it
   * runs) would outlive it as orphans, so they get the same.
   */
  void kill9() throws InterruptedException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
    for (ProcessHandle child : children) {
      child.destroyForcibly();
    }
    for (ProcessHandle child : children) {
      child.onExit().completeOnTimeout(child, 30, TimeUnit.SECONDS).join();
    }
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
