package io.cleave.bench.replay;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Polls {@code /metrics} at a fixed period during a replay. A poll that is still waiting when the
 * next is due is not doubled up; a failed poll is counted and skipped (the platform under load
 * may answer late), so the series has gaps rather than invented values.
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
    client.metrics().onComplete(ar -> {
      polling = false;
      long elapsedMs = (System.nanoTime() - originNanos) / 1_000_000;
      if (ar.succeeded()) {
        synchronized (samples) {
          samples.add(MetricsSample.of(elapsedMs, PrometheusText.parse(ar.result())));
        }
      } else {
        failures++;
        lastFailure = String.valueOf(ar.cause().getMessage());
      }
    });
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
