package io.cleave.invoker;

import io.cleave.forkd.api.ForkdStats;
import io.cleave.forkd.api.RemoteForkFailure;
import io.micrometer.core.instrument.Counter;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's remote fork and page server counters (docs/CONTRACTS.md, Metrics), sampled from
 * the host's stats every few seconds, off the call path. The host counts since it started
 * ({@link ForkdStats#sinceMs()}); each sample adds what grew since the previous one, and all of
 * a restarted host's counts, so the counters here only grow.
 */
final class RemoteForkCounters {
  private static final Logger LOG = Logger.getLogger(RemoteForkCounters.class.getName());
  private static final ForkdStats NONE = new ForkdStats(0, new ForkdStats.RemoteForks(0, Map.of(), 0, 0, 0, 0),
      new ForkdStats.PageServer(0, 0, 0));

  private final InstanceHost host;
  private final InvokerMetrics metrics;
  private final Counter started;
  private final Map<String, Counter> failed = new HashMap<>();
  private final Counter networkPages;
  private final Counter cachePages;
  private final Counter networkBytes;
  private final Counter prefetchedPages;
  private final Counter connections;
  private final Counter pagesServed;
  private final Counter bytesSent;
  private ForkdStats last = NONE;
  private boolean sampling;

  RemoteForkCounters(InvokerMetrics metrics, InstanceHost host) {
    this.host = host;
    this.metrics = metrics;
    this.started = metrics.counter("cleave.remote.fork.starts", "remote children started on this node", null);
    for (RemoteForkFailure reason : RemoteForkFailure.values()) {
      failure(reason.wireName());
    }
    this.networkPages = metrics.counter("cleave.remote.fork.pages",
        "seed pages this node's remote children got, by source", null, "source", "network");
    this.cachePages = metrics.counter("cleave.remote.fork.pages",
        "seed pages this node's remote children got, by source", null, "source", "cache");
    this.networkBytes = metrics.counter("cleave.remote.fork.network",
        "bytes this node's remote children read from page servers", "bytes");
    this.prefetchedPages = metrics.counter("cleave.remote.fork.prefetched.pages",
        "seed pages installed before a remote child ran, from the working set recorded on this node", null);
    this.connections = metrics.counter("cleave.pageserver.connections",
        "restorers (any node) that fetched a descriptor from this node's page server", null);
    this.pagesServed = metrics.counter("cleave.pageserver.served.pages",
        "pages this node's page server served to restorers", null);
    this.bytesSent = metrics.counter("cleave.pageserver.sent", "page bytes this node's page server sent", "bytes");
  }

  private Counter failure(String reason) {
    return failed.computeIfAbsent(reason, r -> metrics.counter("cleave.remote.fork.failures",
        "remote fork starts that failed on this node, by reason", null, "reason", r));
  }

  /** Asks the host for its counts (one request at a time); a failed answer is caught up by the next. */
  void sample() {
    synchronized (this) {
      if (sampling) {
        return;
      }
      sampling = true;
    }
    host.stats().onComplete(ar -> {
      synchronized (this) {
        sampling = false;
        if (ar.succeeded()) {
          add(ar.result());
        } else {
          LOG.log(Level.FINE, "host stats unavailable", ar.cause());
        }
      }
    });
  }

  /** Adds what grew since the last sample (everything when the host restarted). */
  synchronized void add(ForkdStats now) {
    ForkdStats before = now.sinceMs() == last.sinceMs() ? last : NONE;
    ForkdStats.RemoteForks r = now.remoteForks();
    ForkdStats.RemoteForks rb = before.remoteForks();
    grow(started, r.started(), rb.started());
    r.failed().forEach((reason, n) -> grow(failure(reason), n, rb.failed().getOrDefault(reason, 0L)));
    grow(networkPages, r.networkPages(), rb.networkPages());
    grow(cachePages, r.cachePages(), rb.cachePages());
    grow(networkBytes, r.networkBytes(), rb.networkBytes());
    grow(prefetchedPages, r.prefetchedPages(), rb.prefetchedPages());
    ForkdStats.PageServer p = now.pageserver();
    ForkdStats.PageServer pb = before.pageserver();
    grow(connections, p.connections(), pb.connections());
    grow(pagesServed, p.pagesServed(), pb.pagesServed());
    grow(bytesSent, p.bytesSent(), pb.bytesSent());
    last = now;
  }

  private static void grow(Counter counter, long now, long before) {
    if (now > before) {
      counter.increment(now - before);
    }
  }
}
