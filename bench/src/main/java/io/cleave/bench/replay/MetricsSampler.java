package io.cleave.bench.replay;

import io.cleave.client.PlatformClient;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Polls {@code /metrics} at a fixed period during a replay. A poll that is still waiting when the
 * next is due is not doubled up; a failed poll (the platform under load may answer late, a
 * metric may be missing) is counted and skipped, so the series has gaps rather than invented
 * values.
 */
final class MetricsSampler {
  private final Vertx vertx;
  private final PlatformClient client;
  private final long periodMs;
  private final List<MetricsSample> samples = new ArrayList<>();
  private long originNanos;
  private volatile long timer = -1;
  private boolean polling;
  private volatile int failures;
  private volatile String lastFailure = "";

  MetricsSampler(Vertx vertx, PlatformClient client, long periodMs) {
    this.vertx = vertx;
    this.client = client;
    this.periodMs = periodMs;
  }

  /** Starts polling; times are measured from {@code originNanos} (the replay's start). */
  void start(long originNanos) {
    this.originNanos = originNanos;
    vertx.runOnContext(v -> {
      poll();
      timer = vertx.setPeriodic(periodMs, id -> poll());
    });
  }

  private void poll() {
    if (polling) {
      return;
    }
    polling = true;
    // The scrape blocks; a worker thread waits for it, the timer's event loop does not.
    vertx.executeBlocking(() -> PrometheusText.parse(client.metrics()), false).onComplete(ar -> {
      polling = false;
      long elapsedMs = (System.nanoTime() - originNanos) / 1_000_000;
      if (ar.failed()) {
        failed(ar.cause());
        return;
      }
      try {
        MetricsSample sample = MetricsSample.of(elapsedMs, ar.result());
        synchronized (samples) {
          samples.add(sample);
        }
      } catch (IllegalStateException e) {
        failed(e);
      }
    });
  }

  private void failed(Throwable cause) {
    failures++;
    lastFailure = String.valueOf(cause.getMessage());
  }

  /** The newest sample, or null before the first. */
  MetricsSample latest() {
    synchronized (samples) {
      return samples.isEmpty() ? null : samples.get(samples.size() - 1);
    }
  }

  /** Stops polling and answers the samples taken. */
  List<MetricsSample> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    synchronized (samples) {
      return List.copyOf(samples);
    }
  }

  int failures() {
    return failures;
  }

  String lastFailure() {
    return lastFailure;
  }
}
