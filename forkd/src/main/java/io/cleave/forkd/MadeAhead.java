package io.cleave.forkd;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
  private final long refillQuietNanos;
  private final Deque<T> ready = new ArrayDeque<>();
  /** When a thing was last taken (System.nanoTime). */
  private long lastTake;
  /** Things are made ahead (false until the first take when made from the first take on). */
  private boolean wanted;
  private final Thread refill;
  private boolean closed;

  /**
   * @param what names the things in thread names and warnings
   * @param usable whether a ready thing is still good when taken (one that went bad is dropped)
   * @param discard undoes a thing nobody took
   */
  MadeAhead(String what, Maker<T> maker, Predicate<T> usable, Consumer<T> discard, int target) {
    this(what, maker, usable, discard, target, 0, false);
  }

  /**
   * @param refillQuietNanos things are made again only once none was taken for this long (0: at
   *     once), so that making them does not take the cores from a burst of starts that took them
   * @param fromFirstTake nothing is made ahead until something is first asked for (a node that
   *     never needs one keeps none)
   */
  MadeAhead(String what, Maker<T> maker, Predicate<T> usable, Consumer<T> discard, int target, long refillQuietNanos,
      boolean fromFirstTake) {
    this.what = what;
    this.refillQuietNanos = refillQuietNanos;
    this.wanted = !fromFirstTake;
    this.lastTake = System.nanoTime() - refillQuietNanos;
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

  /** Whether things are made ahead yet (see the constructor's {@code fromFirstTake}). */
  synchronized boolean wanted() {
    return wanted;
  }

  synchronized int ready() {
    return ready.size();
  }

  /** A thing made ahead, or one made now if none is ready. */
  T take() throws IOException {
    T t = poll();
    return t != null ? t : maker.make();
  }

  /** A thing made ahead, or null if none is ready. Things that went bad are discarded. */
  T poll() throws IOException {
    List<T> bad = new ArrayList<>();
    try {
      synchronized (this) {
        if (closed) {
          throw new IOException("forkd is shutting down");
        }
        lastTake = System.nanoTime();
        if (!wanted) {
          wanted = true;
          notifyAll();
        }
        T t;
        while ((t = ready.pollFirst()) != null) {
          notifyAll();
          if (usable.test(t)) {
            return t;
          }
          bad.add(t);
        }
        return null;
      }
    } finally {
      bad.forEach(discard);
    }
  }

  /** How long the refill still waits for takes to stop. */
  private long quietLeftNanos() {
    return refillQuietNanos == 0 ? 0 : lastTake + refillQuietNanos - System.nanoTime();
  }

  private void refill() {
    while (true) {
      synchronized (this) {
        while (!closed && (!wanted || ready.size() >= target || quietLeftNanos() > 0)) {
          try {
            long left = !wanted || ready.size() >= target ? 0 : quietLeftNanos();
            if (left > 0) {
              TimeUnit.NANOSECONDS.timedWait(this, left);
            } else {
              wait();
            }
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
