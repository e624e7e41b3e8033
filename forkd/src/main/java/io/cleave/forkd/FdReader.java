package io.cleave.forkd;

/**
 * A daemon thread that reads one file descriptor (process events, inotify) until closed. Each
 * read step waits at most about a second, so that closing is noticed; closing stops the thread
 * before it closes the descriptor, so no step ever reads a closed (or reused) fd.
 */
final class FdReader implements AutoCloseable {
  /** One read of what is there; false ends the thread (the fd is broken). */
  interface Step {
    boolean read(FdReader reader);
  }

  private final int fd;
  private final Thread thread;
  private volatile boolean closed;

  private FdReader(int fd, String name, Step step) {
    this.fd = fd;
    this.thread = new Thread(() -> {
      while (!closed && step.read(this)) {
        // the step did its work; read again
      }
    }, name);
    thread.setDaemon(true);
  }

  static FdReader start(int fd, String name, Step step) {
    FdReader reader = new FdReader(fd, name, step);
    reader.thread.start();
    return reader;
  }

  int fd() {
    return fd;
  }

  boolean closing() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LibC.INSTANCE.close(fd);
  }
}
