package io.cleave.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code cleave_http_requests_total{route,method,status}} and
 * {@code cleave_http_request_duration_seconds{route}} (a histogram), meters cached per label set.
 */
final class HttpMetrics {
  private static final Duration[] BUCKETS = {
    Duration.ofNanos(250_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
    Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
    Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
    Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)
  };

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void record(String route, String method, int status, long nanos) {
    counters.computeIfAbsent(route + ' ' + method + ' ' + status, k -> Counter.builder("cleave.http.requests")
        .description("HTTP requests by route, method and status")
        .tag("route", route).tag("method", method).tag("status", Integer.toString(status))
        .register(registry)).increment();
    timers.computeIfAbsent(route, k -> Timer.builder("cleave.http.request.duration")
        .description("HTTP request latency by route")
        .tag("route", route)
        .serviceLevelObjectives(BUCKETS)
        .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
  }
}
