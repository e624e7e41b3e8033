package io.cleave.forkd;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A pidfd: kills and liveness checks that cannot hit a recycled pid. forkd holds one for each
 * process it signals by itself (seeds, whose container init must survive them).
 */
final class PidHandle implements AutoCloseable {
  private final long pid;
  private int fd;

  private PidHandle(long pid, int fd) {
    this.pid = pid;
    this.fd = fd;
  }

  /** Opens a handle; null when the process is already gone. */
  static PidHandle open(long pid) {
    int fd = (int) LibC.INSTANCE.syscall(LibC.SYS_PIDFD_OPEN, pid, 0, 0, 0);
    if (fd < 0) {
      if (LibC.errno() == LibC.ESRCH) {
        return null;
      }
      throw new IllegalStateException(LibC.describe("pidfd_open " + pid));
    }
    return new PidHandle(pid, fd);
  }

  long pid() {
    return pid;
  }

  synchronized void kill() {
    if (fd >= 0 && LibC.INSTANCE.syscall(LibC.SYS_PIDFD_SEND_SIGNAL, fd, LibC.SIGKILL, 0, 0) != 0
        && LibC.errno() != LibC.ESRCH) {
      throw new IllegalStateException(LibC.describe("pidfd_send_signal SIGKILL to " + pid));
    }
  }

  /** A pidfd polls readable once the process has exited (zombie or reaped). */
  synchronized boolean alive() {
    return fd >= 0 && !readable(fd, 0);
  }

  /**
   * Waits up to {@code timeoutMs} for the process to exit (the pidfd turning readable), without
   * polling; answers whether it did. An exit takes a killed process 1-50 ms on a loaded machine
   * (its memory is freed first).
   */
  boolean awaitExit(int timeoutMs) {
    int fd;
    synchronized (this) {
      fd = this.fd;
    }
    return fd < 0 || readable(fd, timeoutMs);
  }

  /** poll(2) of one pidfd for POLLIN, waiting up to {@code timeoutMs}. */
  private static boolean readable(int fd, int timeoutMs) {
    ByteBuffer pollfd = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    pollfd.putInt(0, fd).putShort(4, LibC.POLLIN).putShort(6, (short) 0);
    try {
      return LibC.INSTANCE.poll(pollfd, 1, timeoutMs) != 0;
    } finally {
      // The call gets the buffer's address only: unreachable during a blocking poll, the buffer
      // could be freed while the kernel is still to write into it (forkd crashed in malloc so).
      Reference.reachabilityFence(pollfd);
    }
  }

  @Override
  public synchronized void close() {
    if (fd >= 0) {
      LibC.INSTANCE.close(fd);
      fd = -1;
    }
  }
}
