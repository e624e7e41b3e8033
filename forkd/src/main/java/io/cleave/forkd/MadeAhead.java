package io.cleave.forkd;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * Things made ahead by a background thread, kept at {@code target} ready, so that making one is
 * off the critical path: the lean containers of cold starts and seeds, the slots of fork
 * children. A taker that finds none ready makes one itself.
 */
final class MadeAhead<T> implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.ahead");

  /** Makes one thing (it may block, e.g. until a container is prepared). */
  interface Maker<T> {
    T make() throws IOException;
  }

  private final String what;
  private final Maker<T> maker;
  private final Predicate<T> usable;
  private final Consumer<T> discard;
  private final int target;
  private final Deque<T> ready = new ArrayDeque<>();
  private final Thread refill;
  private boolean closed;

  /**
   * @param what names the things in thread names and warnings
   * @param usable whether a ready thing is still good when taken (one that went bad is dropped)
   * @param discard undoes a thing nobody took
   */
  MadeAhead(String what, Maker<T> maker, Predicate<T> usable, Consumer<T> discard, int target) {
    this.what = what;
    this.maker = maker;
    this.usable = usable;
    this.discard = discard;
    this.target = target;
    this.refill = new Thread(this::refill, "forkd-ahead-" + what.replace(' ', '-'));
    refill.setDaemon(true);
    refill.start();
  }

  int target() {
    return target;
  }

  synchronized int ready() {
    return ready.size();
  }

  /** A thing made ahead, or one made now if none is ready. */
  T take() throws IOException {
    synchronized (this) {
      if (closed) {
        throw new IOException("forkd is shutting down");
      }
      T t;
      while ((t = ready.pollFirst()) != null) {
        notifyAll();
        if (usable.test(t)) {
          return t;
        }
      }
    }
    return maker.make();
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
        T t = maker.make();
        synchronized (this) {
          if (closed) {
            discard.accept(t);
            return;
          }
          ready.addLast(t);
        }
      } catch (IOException | RuntimeException e) {
        LOG.warning("cannot prepare a " + what + " (retrying in 1 s): " + e);
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

  /** Stops making more and discards what nobody took. */
  @Override
  public void close() {
    Deque<T> unused;
    synchronized (this) {
      closed = true;
      unused = new ArrayDeque<>(ready);
      ready.clear();
      notifyAll();
    }
    refill.interrupt();
    try {
      refill.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    unused.forEach(discard);
  }
}
