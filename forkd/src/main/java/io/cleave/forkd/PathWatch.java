package io.cleave.forkd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * Waits for a file (a listener or control socket) to appear in a directory without burning a
 * core: inotify wakes us on create/rename, and the wait slices let a dead instance end it early.
 */
final class PathWatch implements AutoCloseable {
  /** How often a wait re-checks that the process it waits for still lives. */
  private static final int SLICE_MS = 20;

  private final int fd;
  private final ByteBuffer events = ByteBuffer.allocateDirect(4096);
  private final ByteBuffer pollfd = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());

  private PathWatch(int fd) {
    this.fd = fd;
  }

  /** Starts watching {@code dir}; call before the file can appear. */
  static PathWatch on(Path dir) {
    int fd = LibC.INSTANCE.inotify_init1(LibC.IN_CLOEXEC | LibC.IN_NONBLOCK);
    if (fd < 0) {
      throw new IllegalStateException(LibC.describe("inotify_init1"));
    }
    if (LibC.INSTANCE.inotify_add_watch(fd, dir.toString(), LibC.IN_CREATE | LibC.IN_MOVED_TO) < 0) {
      String error = LibC.describe("inotify_add_watch " + dir);
      LibC.INSTANCE.close(fd);
      throw new IllegalStateException(error);
    }
    return new PathWatch(fd);
  }

  /** The outcome of a wait. */
  enum Outcome { APPEARED, DIED, TIMED_OUT }

  Outcome await(Path file, long deadlineNanos, BooleanSupplier alive) {
    pollfd.putInt(0, fd).putShort(4, LibC.POLLIN);
    while (true) {
      if (Files.exists(file)) {
        return Outcome.APPEARED;
      }
      if (!alive.getAsBoolean()) {
        // It may have bound its socket and then died; either way it will not serve.
        return Outcome.DIED;
      }
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        return Outcome.TIMED_OUT;
      }
      pollfd.putShort(6, (short) 0);
      int n = LibC.INSTANCE.poll(pollfd, 1, (int) Math.min(SLICE_MS, Math.max(1, left / 1_000_000)));
      if (n > 0) {
        events.clear();
        while (LibC.INSTANCE.read(fd, events, events.capacity()) > 0) {
          events.clear();
        }
      } else if (n < 0 && LibC.errno() != LibC.EINTR) {
        throw new IllegalStateException(LibC.describe("poll on inotify"));
      }
    }
  }

  @Override
  public void close() {
    LibC.INSTANCE.close(fd);
  }
}
