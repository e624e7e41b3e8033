package io.cleave.forkd;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.logging.Logger;

/**
 * Lean containers prepared ahead, so a cold start only pays for binding the bundle and exec.
 * A background thread keeps {@code target} ready; when the pool runs dry a start prepares one
 * itself.
 */
final class ContainerPool implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.pool");

  /** Makes one prepared container (spawns a helper and waits for "prepared"). */
  interface Factory {
    Container prepare() throws IOException;
  }

  private final Factory factory;
  private final int target;
  private final Deque<Container> ready = new ArrayDeque<>();
  private final Thread refill;
  private boolean closed;

  ContainerPool(Factory factory, int target) {
    this.factory = factory;
    this.target = target;
    this.refill = new Thread(this::refill, "forkd-pool-refill");
    refill.setDaemon(true);
    refill.start();
  }

  int target() {
    return target;
  }

  synchronized int ready() {
    return ready.size();
  }

  /** A prepared container: from the pool, or made now if the pool is empty. */
  Container take() throws IOException {
    synchronized (this) {
      if (closed) {
        throw new IOException("forkd is shutting down");
      }
      Container c;
      while ((c = ready.pollFirst()) != null) {
        notifyAll();
        if (c.alive()) {
          return c;
        }
      }
    }
    return factory.prepare();
  }

  private void refill() {
    while (true) {
      synchronized (this) {
        while (!closed && ready.size() >= target) {
          try {
            wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
      }
      try {
        Container c = factory.prepare();
        synchronized (this) {
          if (closed) {
            c.killAndWait();
            return;
          }
          ready.addLast(c);
        }
      } catch (IOException | RuntimeException e) {
        LOG.warning("cannot prepare a container (retrying in 1 s): " + e.getMessage());
        synchronized (this) {
          try {
            wait(1000);
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }
  }

  /** Stops refilling and kills the unused containers. */
  @Override
  public void close() {
    Deque<Container> unused;
    synchronized (this) {
      closed = true;
      unused = new ArrayDeque<>(ready);
      ready.clear();
      notifyAll();
    }
    refill.interrupt();
    unused.forEach(Container::kill);
    unused.forEach(Container::killAndWait);
  }
}
