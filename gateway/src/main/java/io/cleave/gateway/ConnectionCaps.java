package io.cleave.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many API connections are open, in all and per client address, shared by every HTTP server
 * instance: a connection past either cap is refused, so one client cannot take the file
 * descriptors everyone else needs. {@code cleave_http_connections_open} and
 * {@code cleave_http_connections_refused_total{cap}} show them.
 */
final class ConnectionCaps {
  private final int maxTotal;
  private final int maxPerClient;
  private final AtomicInteger open = new AtomicInteger();
  private final Map<String, Integer> openByClient = new ConcurrentHashMap<>();
  private final Counter refusedTotal;
  private final Counter refusedPerClient;

  ConnectionCaps(int maxTotal, int maxPerClient, MeterRegistry metrics) {
    this.maxTotal = maxTotal;
    this.maxPerClient = maxPerClient;
    Gauge.builder("cleave.http.connections.open", open, AtomicInteger::get)
        .description("API connections open").register(metrics);
    refusedTotal = refusedCounter(metrics, "total");
    refusedPerClient = refusedCounter(metrics, "per-client");
  }

  private static Counter refusedCounter(MeterRegistry metrics, String cap) {
    return Counter.builder("cleave.http.connections.refused")
        .description("API connections closed at once because a connection cap was reached")
        .tag("cap", cap).register(metrics);
  }

  /** Takes a slot for a new connection from {@code client}; false (and nothing taken) when a cap is reached. */
  boolean tryOpen(String client) {
    if (open.incrementAndGet() > maxTotal) {
      open.decrementAndGet();
      refusedTotal.increment();
      return false;
    }
    boolean[] taken = {false};
    openByClient.compute(client, (c, n) -> {
      int count = n == null ? 0 : n;
      if (count >= maxPerClient) {
        return n;
      }
      taken[0] = true;
      return count + 1;
    });
    if (!taken[0]) {
      open.decrementAndGet();
      refusedPerClient.increment();
    }
    return taken[0];
  }

  /** Gives back the slot of a connection from {@code client} that {@link #tryOpen} took. */
  void closed(String client) {
    openByClient.computeIfPresent(client, (c, n) -> n <= 1 ? null : n - 1);
    open.decrementAndGet();
  }
}
