package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cleave.forkd.api.ForkdStats;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The remote fork and page server counters as Prometheus shows them: present from the start, only growing. */
class RemoteForkCountersTest {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @AfterEach
  void stop() {
    Waits.await(vertx.close());
  }

  private static ForkdStats stats(long since, long started, long revoked, long netPages, long cachePages, long served) {
    return new ForkdStats(since, new ForkdStats.RemoteForks(started, Map.of("revoked", revoked), netPages, cachePages,
        netPages * 4096 + 900, cachePages / 3), new ForkdStats.PageServer(started, served, served * 4096));
  }

  private double sample(String name) {
    for (String line : registry.scrape().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError("no sample " + name + " in:\n" + registry.scrape());
  }

  @Test
  void everyNameIsOnMetricsBeforeAnyRemoteFork() {
    InMemoryHost host = new InMemoryHost(vertx, dir);
    RemoteForkCounters counters = new RemoteForkCounters(new InvokerMetrics(registry), host);
    counters.sample();
    for (String name : new String[] {"cleave_remote_fork_starts_total",
        "cleave_remote_fork_failures_total{reason=\"revoked\"}", "cleave_remote_fork_failures_total{reason=\"wrong-key\"}",
        "cleave_remote_fork_failures_total{reason=\"unreachable\"}", "cleave_remote_fork_failures_total{reason=\"mismatch\"}",
        "cleave_remote_fork_failures_total{reason=\"timeout\"}", "cleave_remote_fork_pages_total{source=\"network\"}",
        "cleave_remote_fork_pages_total{source=\"cache\"}", "cleave_remote_fork_network_bytes_total",
        "cleave_remote_fork_prefetched_pages_total",
        "cleave_pageserver_connections_total", "cleave_pageserver_served_pages_total",
        "cleave_pageserver_sent_bytes_total"}) {
      assertEquals(0.0, sample(name), name);
    }
    host.close();
  }

  @Test
  void samplesAddWhatGrewAndARestartedForkdsWholeCounts() {
    InMemoryHost host = new InMemoryHost(vertx, dir);
    RemoteForkCounters counters = new RemoteForkCounters(new InvokerMetrics(registry), host);
    counters.add(stats(100, 2, 1, 50, 30, 70));
    counters.add(stats(100, 3, 1, 60, 45, 90));
    assertEquals(3, sample("cleave_remote_fork_starts_total"));
    assertEquals(1, sample("cleave_remote_fork_failures_total{reason=\"revoked\"}"));
    assertEquals(60, sample("cleave_remote_fork_pages_total{source=\"network\"}"));
    assertEquals(45, sample("cleave_remote_fork_pages_total{source=\"cache\"}"));
    assertEquals(60 * 4096 + 900, sample("cleave_remote_fork_network_bytes_total"));
    assertEquals(15, sample("cleave_remote_fork_prefetched_pages_total"));
    assertEquals(90, sample("cleave_pageserver_served_pages_total"));
    assertEquals(90 * 4096, sample("cleave_pageserver_sent_bytes_total"));
    assertEquals(3, sample("cleave_pageserver_connections_total"));

    // forkd restarted (another since): its counts start from 0, and all of them are new here.
    counters.add(stats(200, 1, 0, 5, 0, 7));
    assertEquals(4, sample("cleave_remote_fork_starts_total"));
    assertEquals(65, sample("cleave_remote_fork_pages_total{source=\"network\"}"));
    assertEquals(97, sample("cleave_pageserver_served_pages_total"));
    counters.add(stats(200, 1, 0, 5, 0, 7));
    assertEquals(4, sample("cleave_remote_fork_starts_total"), "an unchanged sample adds nothing");
    host.close();
  }
}
