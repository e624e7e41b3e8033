package io.cleave.forkd;

import java.util.HashMap;
import java.util.Map;

/**
 * Node totals over things that come and go (remote children, page server handles), each
 * reporting counters of its own: a total only grows. A thing is opened when it starts, updated
 * with what it reports (a lower report than before is ignored: counters only grow, and the
 * reporter may be a function's own uid), and closed when it goes, its last counts kept in the
 * total. Updates of a thing not open (never opened, or already closed) are ignored, so a late
 * sample cannot count a closed thing twice.
 */
final class Tally {
  private final int width;
  private final Map<String, long[]> open = new HashMap<>();
  private final long[] closed;

  Tally(int width) {
    this.width = width;
    this.closed = new long[width];
  }

  synchronized void open(String key) {
    open.putIfAbsent(key, new long[width]);
  }

  synchronized void update(String key, long[] seen) {
    long[] counts = open.get(key);
    if (counts == null || seen == null || seen.length != width) {
      return;
    }
    for (int i = 0; i < width; i++) {
      counts[i] = Math.max(counts[i], seen[i]);
    }
  }

  synchronized void close(String key) {
    long[] counts = open.remove(key);
    if (counts != null) {
      for (int i = 0; i < width; i++) {
        closed[i] += counts[i];
      }
    }
  }

  synchronized boolean isOpen(String key) {
    return open.containsKey(key);
  }

  /** Closed things' last counts plus open things' latest. */
  synchronized long[] total() {
    long[] sum = closed.clone();
    for (long[] counts : open.values()) {
      for (int i = 0; i < width; i++) {
        sum[i] += counts[i];
      }
    }
    return sum;
  }
}
