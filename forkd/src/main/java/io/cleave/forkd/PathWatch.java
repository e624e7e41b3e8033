package io.cleave.forkd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * Waits for files (listener and control sockets) to appear without burning a core: one inotify
 * instance for the whole daemon wakes the waiting thread on create/rename in the watched
 * directory. One instance, because closing an inotify fd waits for an SRCU grace period
 * (~10 ms), which per start would cost more than a fork.
 */
final class PathWatch implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.watch");
  /** How often a wait re-checks that the process it waits for still lives. */
  private static final long SLICE_NANOS = 20_000_000;
  private static final int IN_ONLYDIR = 0x1000000;
  private static final int EINVAL = 22;

  private final Map<Integer, Thread> waiters = new ConcurrentHashMap<>();
  /** Touched by the reader thread only. */
  private final ByteBuffer pollfd = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
  private final ByteBuffer events = ByteBuffer.allocateDirect(16384).order(ByteOrder.nativeOrder());
  private final FdReader reader;

  private PathWatch(int fd) {
    this.reader = FdReader.start(fd, "forkd-path-watch", this::read);
  }

  static PathWatch open() {
    int fd = LibC.INSTANCE.inotify_init1(LibC.IN_CLOEXEC | LibC.IN_NONBLOCK);
    if (fd < 0) {
      throw new IllegalStateException(LibC.describe("inotify_init1"));
    }
    return new PathWatch(fd);
  }

  /** The outcome of a wait. */
  enum Outcome { APPEARED, DIED, TIMED_OUT }

  /** Starts watching {@code dir}; call before the file can appear, close when done waiting. */
  Watch watch(Path dir) {
    int wd = LibC.INSTANCE.inotify_add_watch(reader.fd(), dir.toString(), LibC.IN_CREATE | LibC.IN_MOVED_TO | IN_ONLYDIR);
    if (wd < 0) {
      throw new IllegalStateException(LibC.describe("inotify_add_watch " + dir));
    }
    return new Watch(wd);
  }

  /** One directory being watched. */
  final class Watch implements AutoCloseable {
    private final int wd;

    private Watch(int wd) {
      this.wd = wd;
    }

    Outcome await(Path file, long deadlineNanos, BooleanSupplier alive) {
      waiters.put(wd, Thread.currentThread());
      try {
        while (true) {
          if (Files.exists(file)) {
            return Outcome.APPEARED;
          }
          if (!alive.getAsBoolean()) {
            return Outcome.DIED;
          }
          long left = deadlineNanos - System.nanoTime();
          if (left <= 0) {
            return Outcome.TIMED_OUT;
          }
          LockSupport.parkNanos(this, Math.min(SLICE_NANOS, left));
        }
      } finally {
        waiters.remove(wd);
      }
    }

    @Override
    public void close() {
      // EINVAL: the directory is gone already, and its watch with it.
      if (LibC.INSTANCE.inotify_rm_watch(reader.fd(), wd) != 0 && LibC.errno() != EINVAL) {
        LOG.fine(LibC.describe("inotify_rm_watch"));
      }
    }
  }

  private boolean read(FdReader r) {
    pollfd.putInt(0, r.fd()).putShort(4, LibC.POLLIN).putShort(6, (short) 0);
    if (LibC.INSTANCE.poll(pollfd, 1, 500) <= 0) {
      return true;
    }
    events.clear();
    long n;
    while ((n = LibC.INSTANCE.read(r.fd(), events, events.capacity())) > 0) {
      // struct inotify_event: int wd; uint32 mask, cookie, len; char name[len]
      for (int off = 0; off + 16 <= n; off += 16 + events.getInt(off + 12)) {
        Thread waiter = waiters.get(events.getInt(off));
        if (waiter != null) {
          LockSupport.unpark(waiter);
        }
      }
      events.clear();
    }
    return true;
  }

  @Override
  public void close() {
    reader.close();
  }
}
