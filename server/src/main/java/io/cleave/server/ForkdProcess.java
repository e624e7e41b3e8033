package io.cleave.server;

import io.cleave.forkd.api.ForkdClient;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * forkd as a child process of the server (docs/CONTRACTS.md): {@code java -cp <same classpath>
 * io.cleave.forkd.ForkdMain --data-dir D}, started before the invoker serves, waited for until its
 * socket answers, and started again if it dies. Its output goes to {@code <data>/forkd.log}; a
 * failed start reports the end of that log.
 *
 * <p>forkd dies with the server: it is started through {@code setpriv --pdeathsig TERM}, so a
 * server killed outright (SIGKILL, OOM) takes forkd down too, and forkd's own SIGTERM handling
 * stops its instances. The kernel sends that signal when the <em>thread</em> that started the
 * process ends, so every start runs on one thread kept for this purpose until {@link #close}. A
 * new forkd first waits (bounded) for a predecessor on the same data dir to let go of its lock.
 */
public final class ForkdProcess implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ForkdProcess.class.getName());
  private static final Duration READY_WAIT = Duration.ofSeconds(60);
  private static final long RESTART_DELAY_MS = 1000;
  /** How long a dying predecessor (on its way out after its server was killed) may hold the data dir. */
  private static final Duration PREDECESSOR_WAIT = Duration.ofSeconds(30);
  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

  private final Path dataDir;
  private final Path cleaveHome;
  private final List<String> jvmOptions;
  private final Map<String, String> knobs;
  private final ForkdClient client;
  private volatile Process process;
  private volatile boolean closing;
  /** The parent thread of every forkd this object starts (see the class comment). */
  private final ExecutorService parentThread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "forkd-parent");
    t.setDaemon(true);
    return t;
  });

  private ForkdProcess(Path dataDir, Path cleaveHome, List<String> jvmOptions, Map<String, String> knobs,
      ForkdClient client) {
    this.dataDir = dataDir.toAbsolutePath();
    this.cleaveHome = cleaveHome.toAbsolutePath();
    this.jvmOptions = List.copyOf(jvmOptions);
    this.knobs = Map.copyOf(knobs);
    this.client = client;
  }

  /** Starts forkd (finding its native helpers under {@code cleaveHome}) and waits until it answers its health check. Blocking. */
  public static ForkdProcess start(Path dataDir, Path cleaveHome, List<String> jvmOptions, ForkdClient client) {
    return start(dataDir, cleaveHome, jvmOptions, Map.of(), client);
  }

  /**
   * The same, with defaults for forkd's environment knobs ({@code knobs}); a knob the server's own
   * environment sets wins.
   */
  public static ForkdProcess start(Path dataDir, Path cleaveHome, List<String> jvmOptions, Map<String, String> knobs,
      ForkdClient client) {
    ForkdProcess p = new ForkdProcess(dataDir, cleaveHome, jvmOptions, knobs, client);
    try {
      p.launch();
    } catch (RuntimeException e) {
      p.parentThread.shutdown();
      throw e;
    }
    return p;
  }

  /** forkd's RPC socket under a data directory. */
  public static Path socketOf(Path dataDir) {
    return dataDir.toAbsolutePath().resolve("run").resolve("forkd.sock");
  }

  private synchronized void launch() {
    awaitPredecessor();
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(SETPRIV)) {
      cmd.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "TERM", "--"));
    } else {
      LOG.warning(SETPRIV + " is missing: forkd will outlive this server if it is killed");
    }
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
      knobs.forEach(pb.environment()::putIfAbsent);
      Process started = onParentThread(pb);
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

  private Process onParentThread(ProcessBuilder pb) throws IOException {
    try {
      return parentThread.submit(pb::start).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException("cannot start forkd: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting forkd", e);
    }
  }

  /**
   * Waits until no other process holds forkd's lock on this data dir: a forkd whose server was
   * killed a moment ago is still stopping its instances. One that stays is another server's.
   */
  private void awaitPredecessor() {
    Path lock = dataDir.resolve("run").resolve("forkd.lock");
    if (!Files.exists(lock)) {
      return;
    }
    long end = System.nanoTime() + PREDECESSOR_WAIT.toNanos();
    try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
      while (true) {
        FileLock held = channel.tryLock();
        if (held != null) {
          held.release();
          return;
        }
        if (System.nanoTime() > end) {
          throw new IllegalStateException("another forkd has held " + lock + " for " + PREDECESSOR_WAIT.toSeconds()
              + " s: is another Cleave server using the data directory " + dataDir + "?");
        }
        sleep(50);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot check forkd's lock " + lock + ": " + e.getMessage(), e);
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
    try {
      if (p == null) {
        return;
      }
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      // Only now: the thread's end would signal a forkd still running.
      parentThread.shutdown();
    }
  }
}
