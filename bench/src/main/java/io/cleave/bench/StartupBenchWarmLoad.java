package io.cleave.bench;

import io.cleave.bench.StartupBenchFigures.Metric;
import io.cleave.bench.replay.LatencyStats;
import io.cleave.client.TimedCalls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Warm throughput, wrk-style: {@code connections} keep-alive clients through the gateway, each
 * sending its next call as soon as its last one answered (a closed loop), for a fixed time, to a
 * function whose instances are warm. What it shows is the gateway + invoker's cost per call under
 * load, the function doing next to nothing.
 */
final class StartupBenchWarmLoad {
  /** What one run did: calls answered within {@code seconds}, each call's latency in the figures. */
  record Run(int connections, double seconds, long calls) {
    double perSecond() {
      return calls / seconds;
    }
  }

  private static final long CALL_TIMEOUT_MS = 30_000;

  private StartupBenchWarmLoad() {}

  /**
   * Runs the load for {@code warmupSeconds} uncounted (the function gets an instance per connection)
   * then {@code seconds} counted, adding each counted call's latency to {@code into}.
   */
  static Run run(TimedCalls calls, String fnId, Buffer body, int connections, double warmupSeconds, double seconds,
      StartupBenchFigures into) {
    load(calls, fnId, body, connections, warmupSeconds, new ArrayList<>());
    List<Double> latencies = new ArrayList<>();
    long t0 = System.nanoTime();
    load(calls, fnId, body, connections, seconds, latencies);
    double took = (System.nanoTime() - t0) / 1e9;
    latencies.forEach(ms -> into.add(Metric.WARM_LOAD, ms));
    return new Run(connections, took, latencies.size());
  }

  private static void load(TimedCalls calls, String fnId, Buffer body, int connections, double seconds,
      List<Double> into) {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    List<Future<Void>> clients = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      Promise<Void> done = Promise.promise();
      next(calls, fnId, body, end, into, done);
      clients.add(done.future());
    }
    Await.result(Future.all(clients), (long) (seconds * 1000) + 2 * CALL_TIMEOUT_MS, "the warm-throughput run");
  }

  private static void next(TimedCalls calls, String fnId, Buffer body, long end, List<Double> into, Promise<Void> done) {
    if (System.nanoTime() >= end) {
      done.complete();
      return;
    }
    calls.invoke(fnId, body, CALL_TIMEOUT_MS).onComplete(ar -> {
      if (ar.failed() || !ar.result().ok()) {
        done.fail(ar.failed() ? ar.cause().getMessage() : "a warm call answered " + ar.result().failure());
        return;
      }
      synchronized (into) {
        into.add(ar.result().latencyMs());
      }
      next(calls, fnId, body, end, into, done);
    });
  }

  /**
   * The summary's warm-throughput figures: {@code warm_rps}, {@code warm_p50_ms}, {@code warm_p99_ms}
   * and {@code warm_overhead_p50_ms} (the load's p50 minus the p50 of the same call sent straight to
   * an instance, one at a time).
   */
  static void summarise(StartupBenchFigures f, JsonObject into) {
    Run run = f.warmLoad();
    LatencyStats st = f.stats(Metric.WARM_LOAD);
    into.put("warm_connections", run == null ? null : run.connections());
    into.put("warm_rps", run == null ? null : StartupBenchReport.round(run.perSecond()));
    into.put("warm_p50_ms", StartupBenchReport.round(st.p50()));
    into.put("warm_p99_ms", StartupBenchReport.round(st.p99()));
    into.put("warm_overhead_p50_ms", StartupBenchReport.round(st.p50() - f.stats(Metric.DIRECT_WARM).p50()));
  }
}
