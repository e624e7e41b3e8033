package io.cleave.forkd;

import io.cleave.forkd.api.RemoteRef;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The node's page server ({@code cleave-pageserver} from forkd's copy of the fork primitive),
 * supervised: started with forkd on the configured address, restarted when it dies (on the port
 * it had, so the address forkd reports stays the same), stopped with forkd. Its process lives in
 * a cgroup of forkd's, so a successor forkd kills it with the rest of a crashed forkd's leftovers.
 * Handles live in the page server's memory: a restart loses them, and {@code onRestart} runs so
 * forkd can prepare its seeds again.
 */
final class PageServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.pageserver");
  private static final long START_TIMEOUT_MS = 10_000;
  private static final long MAX_BACKOFF_MS = 5_000;

  private final Path binary;
  private final String bind;
  private final Path dir;
  private final CgroupLayout cgroups;
  private final Cgroup cgroup;
  private final LibCleave lib;
  private final Runnable onRestart;
  private final int configuredPort;
  private final Object lock = new Object();
  private Process process;
  private int port;
  private volatile String address;
  private boolean closing;
  private Thread supervisor;

  private PageServer(ForkdConfig config, CgroupLayout cgroups, Cgroup cgroup, Runnable onRestart) {
    this.binary = config.kmodDir().resolve(ForkPrimitive.PAGESERVER);
    this.bind = config.pageserverBind();
    this.port = config.pageserverPort();
    this.configuredPort = config.pageserverPort();
    this.dir = config.pageserverDir();
    this.cgroups = cgroups;
    this.cgroup = cgroup;
    this.lib = LibCleave.load(config.kmodDir().resolve(ForkPrimitive.LIBRARY));
    this.onRestart = onRestart;
  }

  /** Starts the page server and its supervisor; throws when it does not come up. */
  static PageServer start(ForkdConfig config, CgroupLayout cgroups, Runnable onRestart) throws IOException {
    RunDirs.deleteTree(config.pageserverDir());
    Files.createDirectories(config.pageserverDir());
    RunDirs.chmod(config.pageserverDir(), 0755);
    Cgroup cgroup = cgroups.create("pageserver");
    PageServer ps = new PageServer(config, cgroups, cgroup, onRestart);
    try {
      synchronized (ps.lock) {
        ps.launch();
      }
    } catch (IOException e) {
      cgroups.remove(cgroup);
      throw e;
    }
    ps.supervisor = new Thread(ps::supervise, "forkd-pageserver");
    ps.supervisor.setDaemon(true);
    ps.supervisor.start();
    return ps;
  }

  /** host:port restorers fetch from; null while the page server is down. */
  String address() {
    return address;
  }

  /** The unix socket seeds register their snapshots at (host path). */
  Path socket() {
    return dir.resolve("ps.sock");
  }

  /** The socket's directory, bound into prepared seeds' containers. */
  Path dir() {
    return dir;
  }

  /** Forgets a handle: its holder goes, lazy children still fetching from it are cut off and die. */
  void revoke(RemoteRef ref) throws IOException {
    if (lib.cleave_revoke(LibCleave.handleArgs(socket(), ref.handle(), ref.key())) < 0) {
      throw new IOException(lib.cleave_last_error());
    }
  }

  /**
   * The page server's counters of a handle (connections, pages served, bytes sent, indexed as
   * {@link RemoteForkStats} keeps them), or null when it does not answer or has no such handle.
   */
  long[] served(RemoteRef ref) {
    ByteBuffer out = ByteBuffer.allocateDirect(LibCleave.STATS_BYTES).order(ByteOrder.nativeOrder());
    if (lib.cleave_stats(LibCleave.handleArgs(socket(), ref.handle(), ref.key()), out) < 0) {
      return null;
    }
    long[] served = new long[3];
    served[RemoteForkStats.CONNECTIONS] = out.getLong(LibCleave.STATS_CONNECTIONS);
    served[RemoteForkStats.PAGES_SERVED] = out.getLong(LibCleave.STATS_PAGES_SERVED);
    served[RemoteForkStats.BYTES_SENT] = out.getLong(LibCleave.STATS_BYTES_SENT);
    return served;
  }

  /** Under lock: starts the process and waits for its port file; sets address. */
  private void launch() throws IOException {
    Path portFile = dir.resolve("port");
    Files.deleteIfExists(portFile);
    Files.deleteIfExists(socket());
    List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--bind", bind, "--port", Integer.toString(port),
        "--sock", socket().toString(), "--port-file", portFile.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT)
        .start();
    try {
      cgroups.join(cgroup, p.pid());
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
      while (!Files.exists(portFile)) {
        if (p.waitFor(10, TimeUnit.MILLISECONDS)) {
          throw new IOException("cleave-pageserver exited with " + p.exitValue() + " before listening on " + bind
              + ":" + port + " (its message is in forkd's log)");
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("cleave-pageserver did not listen within " + START_TIMEOUT_MS + " ms");
        }
      }
      int got = Integer.parseInt(Files.readString(portFile).trim());
      // The page server makes its socket 0600; seeds run unprivileged (their run as a uid of forkd's
      // range is what lets them in, and only prepared seeds see the socket's dir).
      RunDirs.chmod(socket(), 0666);
      process = p;
      port = got;
      address = bind + ":" + got;
      LOG.info("page server (pid " + p.pid() + ") on " + address + ", unix " + socket());
    } catch (IOException | RuntimeException e) {
      p.destroyForcibly();
      throw e instanceof IOException io ? io : new IOException("starting cleave-pageserver: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while starting cleave-pageserver", e);
    }
  }

  private void supervise() {
    long backoffMs = 100;
    while (true) {
      Process p;
      synchronized (lock) {
        p = process;
      }
      if (p != null) {
        int exit = p.onExit().join().exitValue();
        synchronized (lock) {
          address = null;
          if (!closing) {
            LOG.warning("page server exited with " + exit + "; its handles are gone, restarting it on port " + port);
          }
        }
      }
      synchronized (lock) {
        if (closing) {
          return;
        }
        try {
          lock.wait(backoffMs);
          if (closing) {
            return;
          }
          launch();
          backoffMs = 100;
        } catch (IOException e) {
          process = null;
          if (configuredPort == 0) {
            port = 0; // the port it had may be taken meanwhile: any will do
          }
          LOG.warning("restarting the page server failed (next try in " + backoffMs + " ms): " + e.getMessage());
          backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
          continue;
        } catch (InterruptedException e) {
          return;
        }
      }
      onRestart.run();
    }
  }

  @Override
  public void close() {
    Process p;
    synchronized (lock) {
      closing = true;
      address = null;
      lock.notifyAll();
      p = process;
    }
    if (p != null) {
      p.destroy();
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    cgroups.remove(cgroup);
  }
}
