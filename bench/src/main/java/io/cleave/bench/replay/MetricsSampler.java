package io.cleave.bench.replay;

import io.cleave.client.PlatformClient;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Polls {@code /metrics} of every node at a fixed period during a replay; one sample is the nodes'
 * gauges summed. A poll that is still waiting when the next is due is not doubled up; a failed
 * poll (the platform under load may answer late, a metric may be missing; with several nodes, any
 * node's) is counted and skipped, so the series has gaps rather than invented values or sums of
 * only some nodes.
 */
final class MetricsSampler {
  private final Vertx vertx;
  private final List<PlatformClient> nodes;
  private final long periodMs;
  private final List<MetricsSample> samples = new ArrayList<>();
  private long originNanos;
  private volatile long timer = -1;
  private boolean polling;
  private volatile int failures;
  private volatile String lastFailure = "";

  MetricsSampler(Vertx vertx, List<PlatformClient> nodes, long periodMs) {
    this.vertx = vertx;
    this.nodes = List.copyOf(nodes);
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
    // The scrapes block; a worker thread waits for them, the timer's event loop does not. Nodes are
    // read one after another: each recounts its gauges once a second, so the milliseconds between
    // two scrapes do not separate what the sum adds up.
    vertx.executeBlocking(this::scrapeAll, false).onComplete(ar -> {
      polling = false;
      long elapsedMs = (System.nanoTime() - originNanos) / 1_000_000;
      if (ar.failed()) {
        failed(ar.cause());
        return;
      }
      try {
        MetricsSample sample = MetricsSample.sum(elapsedMs, ar.result().stream().map(text -> MetricsSample.of(elapsedMs, text)).toList());
        synchronized (samples) {
          samples.add(sample);
        }
      } catch (IllegalStateException e) {
        failed(e);
      }
    });
  }

  private List<PrometheusText> scrapeAll() throws IOException {
    List<PrometheusText> out = new ArrayList<>();
    for (PlatformClient node : nodes) {
      out.add(PrometheusText.parse(node.metrics()));
    }
    return out;
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
