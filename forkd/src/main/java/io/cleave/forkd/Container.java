package io.cleave.forkd;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * One lean container: a cleave-container helper process (forkd's handle) and the init of the
 * container's pid namespace. Prepared ahead (see {@link MadeAhead}); {@link #start} sends the
 * one start order. Killing the helper kills the init (parent-death signal), and the kernel then
 * kills every process of the namespace: the helper's exit means the container is empty.
 */
final class Container {
  private static final Logger LOG = Logger.getLogger("forkd.container");

  private final Process helper;
  private final long initPid;
  /** The init's pidfd: killing it empties the namespace, and it polls readable only once it is empty. */
  private final PidHandle init;
  private final BufferedReader status;
  private final OutputStream orders;
  private volatile Integer mainExit;
  private volatile Thread reader;
  private final Map<Long, Integer> reaped = new ConcurrentHashMap<>();

  private Container(Process helper, long initPid, PidHandle init, BufferedReader status) {
    this.helper = helper;
    this.initPid = initPid;
    this.init = init;
    this.status = status;
    this.orders = helper.getOutputStream();
  }

  /** Spawns a helper and waits until its container is prepared. */
  static Container prepare(List<String> command, long timeoutMs) throws IOException {
    Process helper = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    BufferedReader status = new BufferedReader(new InputStreamReader(helper.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Void> watchdog = CompletableFuture.runAsync(helper::destroyForcibly,
        CompletableFuture.delayedExecutor(timeoutMs, TimeUnit.MILLISECONDS));
    try {
      long initPid = -1;
      boolean prepared = false;
      String line;
      while ((line = status.readLine()) != null) {
        // The helper reports the init's pid and the init reports "prepared", two processes on one
        // pipe: either line may come first.
        if (line.startsWith("helper ")) {
          initPid = Long.parseLong(line.substring(7).trim());
        } else if (line.equals("prepared")) {
          prepared = true;
        }
        if (prepared && initPid > 0) {
          // The init is the helper's child and the helper lives: the pid cannot be recycled yet.
          PidHandle init = PidHandle.open(initPid);
          if (init == null) {
            helper.destroyForcibly();
            throw new IOException("container init " + initPid + " ended right after it was prepared");
          }
          return new Container(helper, initPid, init, status);
        }
        if (line.startsWith("error ")) {
          helper.destroyForcibly();
          throw new IOException("preparing a container failed: " + line.substring(6));
        }
      }
      helper.destroyForcibly();
      throw new IOException("container helper ended before it was prepared (exit "
          + helper.onExit().join().exitValue() + ")");
    } finally {
      watchdog.cancel(false);
    }
  }

  long initPid() {
    return initPid;
  }

  /**
   * Sends the start order and waits for the instance's exec. Returns its pid inside the
   * container. A failure message from the helper (cannot exec, mount failed) becomes a
   * {@link StartFailure}; the container is then dead.
   */
  long start(byte[] order, long timeoutMs) throws IOException, StartFailure {
    CompletableFuture<Void> watchdog = CompletableFuture.runAsync(helper::destroyForcibly,
        CompletableFuture.delayedExecutor(timeoutMs, TimeUnit.MILLISECONDS));
    try {
      orders.write(order);
      orders.flush();
      String line = status.readLine();
      if (line != null && line.startsWith("started ")) {
        long nsPid = Long.parseLong(line.substring(8).trim());
        reader = new Thread(this::readExits, "forkd-container-" + initPid);
        reader.setDaemon(true);
        reader.start();
        return nsPid;
      }
      kill();
      if (line != null && line.startsWith("error ")) {
        throw new StartFailure(line.substring(6));
      }
      throw new IOException("container helper ended before the instance started");
    } finally {
      watchdog.cancel(false);
    }
  }

  /** Everything after "started": the instance's exit and reaped orphans (a seed's children). */
  private void readExits() {
    try {
      String line;
      while ((line = status.readLine()) != null) {
        if (line.startsWith("exit ")) {
          mainExit = Integer.parseInt(line.substring(5).trim());
        } else if (line.startsWith("reaped ")) {
          String[] f = line.split(" ");
          reaped.put(Long.parseLong(f[1]), Integer.parseInt(f[2]));
        } else if (line.startsWith("error ")) {
          LOG.warning("container " + initPid + ": " + line.substring(6));
        }
      }
    } catch (IOException e) {
      LOG.fine("container " + initPid + " status stream: " + e);
    }
  }

  /**
   * The instance's wait status once it exited. Once the container is gone its last status
   * lines may still be in flight: wait (briefly) for them to be read.
   */
  Integer mainExit() {
    Integer exit = mainExit;
    Thread r = reader;
    if (exit == null && r != null && !init.alive()) {
      try {
        r.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exit = mainExit;
    }
    return exit;
  }

  /** The wait status of an orphan the init reaped, by its pid inside the container. */
  Integer reaped(long nsPid) {
    return reaped.get(nsPid);
  }

  boolean alive() {
    return init.alive();
  }

  /**
   * Kills the whole container: SIGKILL to its init makes the kernel kill every process of the
   * namespace; the helper goes too.
   */
  void kill() {
    init.kill();
    helper.destroyForcibly();
  }

  /**
   * Kills and waits (bounded) until the namespace is empty: a dead pid namespace init has waited
   * for every other process of its namespace to be gone.
   */
  void killAndWait() {
    kill();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (init.alive() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(500_000);
    }
    if (init.alive()) {
      LOG.warning("container " + initPid + " did not end within 10 s");
    }
    init.close();
    try {
      helper.onExit().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warning("container helper of " + initPid + " did not end: " + e);
    }
  }

  /** Encodes a start order as the helper reads it: NUL-terminated "key=value" strings, then an empty one. */
  static byte[] order(Map<String, String> single, Map<String, List<String>> repeated) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    single.forEach((k, v) -> entry(out, k, v));
    repeated.forEach((k, values) -> values.forEach(v -> entry(out, k, v)));
    out.write(0);
    return out.toByteArray();
  }

  private static void entry(ByteArrayOutputStream out, String key, String value) {
    out.writeBytes((key + "=" + value).getBytes(StandardCharsets.UTF_8));
    out.write(0);
  }

  /**
   * Paths the helper needs: the staging root, the runtimes (Python's, the Java jar's dir) and the
   * fork primitive (null: none) to bind, and the pool cgroups to join.
   */
  static List<String> helperCommand(Path helperBinary, Path root, long tmpBytes, Path runtime, Path javaRuntime,
      Path kmod, List<Path> joins, boolean hostNetwork) {
    List<String> cmd = new java.util.ArrayList<>(List.of(helperBinary.toString(), "--root", root.toString(),
        "--tmp-size", Long.toString(tmpBytes), "--runtime", runtime.toString(),
        "--java-runtime", javaRuntime.toString(), "--network", hostNetwork ? "host" : "isolated"));
    if (kmod != null) {
      cmd.addAll(List.of("--kmod", kmod.toString()));
    }
    joins.forEach(j -> cmd.addAll(List.of("--join", j.toString())));
    return cmd;
  }

  /** The helper refused or failed to start the instance; the message says why. */
  static final class StartFailure extends Exception {
    StartFailure(String message) {
      super(message, null, false, false);
    }
  }
}
