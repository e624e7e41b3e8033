package io.cleave.server;

import io.cleave.forkd.api.ForkdClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * forkd as a child process of the server (docs/CONTRACTS.md): {@code java -cp <same classpath>
 * io.cleave.forkd.ForkdMain --data-dir D}, started before the invoker serves, waited for until its
 * socket answers, and started again if it dies. Its output goes to {@code <data>/forkd.log}; a
 * failed start reports the end of that log.
 */
public final class ForkdProcess implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ForkdProcess.class.getName());
  private static final Duration READY_WAIT = Duration.ofSeconds(60);
  private static final long RESTART_DELAY_MS = 1000;

  private final Path dataDir;
  private final Path cleaveHome;
  private final List<String> jvmOptions;
  private final ForkdClient client;
  private volatile Process process;
  private volatile boolean closing;

  private ForkdProcess(Path dataDir, Path cleaveHome, List<String> jvmOptions, ForkdClient client) {
    this.dataDir = dataDir.toAbsolutePath();
    this.cleaveHome = cleaveHome.toAbsolutePath();
    this.jvmOptions = List.copyOf(jvmOptions);
    this.client = client;
  }

  /** Starts forkd (finding its native helpers under {@code cleaveHome}) and waits until it answers its health check. Blocking. */
  public static ForkdProcess start(Path dataDir, Path cleaveHome, List<String> jvmOptions, ForkdClient client) {
    ForkdProcess p = new ForkdProcess(dataDir, cleaveHome, jvmOptions, client);
    p.launch();
    return p;
  }

  /** forkd's RPC socket under a data directory. */
  public static Path socketOf(Path dataDir) {
    return dataDir.toAbsolutePath().resolve("run").resolve("forkd.sock");
  }

  private synchronized void launch() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.cleave.forkd.ForkdMain");
    cmd.add("--data-dir");
    cmd.add(dataDir.toString());
    try {
      Path log = dataDir.resolve("forkd.log");
      ProcessBuilder pb = new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().put("CLEAVE_HOME", cleaveHome.toString());
      Process started = pb.start();
      process = started;
      try {
        waitReady(started);
      } catch (IllegalStateException e) {
        throw new IllegalStateException(e.getMessage() + tail(log), e);
      }
      started.onExit().thenAccept(this::exited);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start forkd: " + e.getMessage(), e);
    }
  }

  private void waitReady(Process started) {
    long end = System.nanoTime() + READY_WAIT.toNanos();
    Path socket = socketOf(dataDir);
    String last = "its socket " + socket + " did not appear";
    while (System.nanoTime() < end) {
      if (!started.isAlive()) {
        throw new IllegalStateException("forkd exited with code " + started.exitValue() + " before it was ready");
      }
      if (Files.exists(socket)) {
        try {
          if (client.health().await(2, TimeUnit.SECONDS).ok()) {
            return;
          }
          last = "it reports not ok";
        } catch (Exception e) {
          last = "its health check failed: " + e.getMessage();
        }
      }
      sleep(50);
    }
    started.destroyForcibly();
    throw new IllegalStateException("forkd was not ready within " + READY_WAIT.toSeconds() + " s: " + last);
  }

  private void exited(Process p) {
    if (closing || p != process) {
      return;
    }
    LOG.warning("forkd exited with code " + p.exitValue() + "; starting it again");
    while (!closing) {
      sleep(RESTART_DELAY_MS);
      try {
        launch();
        return;
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "forkd restart failed: " + e.getMessage());
      }
    }
  }

  /** The last lines forkd wrote, for an error message. */
  private static String tail(Path log) {
    try {
      String text = Files.readString(log);
      String end = text.length() > 2000 ? text.substring(text.length() - 2000) : text;
      return end.isBlank() ? "" : "; forkd said:\n" + end.strip();
    } catch (IOException e) {
      return "";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for forkd", e);
    }
  }

  /** The running forkd's process id. */
  long pid() {
    return process.pid();
  }

  /** Asks forkd to stop (it stops its instances), then kills it if it lingers. Blocking. */
  @Override
  public void close() {
    closing = true;
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
