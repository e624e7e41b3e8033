package io.cleave.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.bench.StartupBenchFigures.Metric;
import io.cleave.client.PlatformClient;
import io.cleave.client.TimedCalls;
import io.cleave.forkd.api.ForkdClient;
import io.cleave.forkd.api.ForkdHealth;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The start-up bench's calls, each checked: through the gateway, straight to an instance's
 * socket, or a burst at once; and the platform's own records of them (activations, forkd's health).
 * Blocks the calling thread.
 */
final class StartupBenchCalls {
  private static final long CALL_WAIT_MS = 120_000;

  private final TimedCalls timed;
  private final int burst;

  StartupBenchCalls(TimedCalls timed, int burst) {
    this.timed = timed;
    this.burst = burst;
  }

  TimedCalls timed() {
    return timed;
  }

  TimedCalls.Answer call(StartupBenchFunction f, String fnId) {
    return checked(f, Await.result(timed.invoke(fnId, f.body(), CALL_WAIT_MS), CALL_WAIT_MS,
        "a " + f.label() + " call through the gateway"));
  }

  TimedCalls.Answer direct(StartupBenchFunction f, Path socket) {
    return checked(f, Await.result(timed.direct(socket, f.body()), CALL_WAIT_MS, "a " + f.label() + " call on " + socket));
  }

  /** The burst's calls sent at once; answers them once all are answered. */
  List<TimedCalls.Answer> burst(StartupBenchFunction f, String fnId) {
    List<Future<TimedCalls.Answer>> sent = new ArrayList<>();
    for (int i = 0; i < burst; i++) {
      sent.add(timed.invoke(fnId, f.body(), CALL_WAIT_MS));
    }
    Await.result(Future.all(sent), CALL_WAIT_MS, "a burst of " + f.label() + " calls");
    return sent.stream().map(a -> checked(f, a.result())).toList();
  }

  private static TimedCalls.Answer checked(StartupBenchFunction f, TimedCalls.Answer a) {
    if (!a.ok()) {
      String body = a.body().toString();
      throw new IllegalStateException("a call to the " + f.label() + " function answered " + a.status() + ": "
          + (body.length() > 300 ? body.substring(0, 300) : body));
    }
    return a;
  }

  /** The activation records' init_ms; a record is written just after the answer, so a few retries. */
  static void initTimes(PlatformClient api, List<String> callIds, StartupBenchFigures into, Metric metric)
      throws IOException {
    for (String id : callIds) {
      Optional<JsonNode> a = api.findActivation(id);
      for (int attempt = 1; attempt < 50 && a.isEmpty(); attempt++) {
        StartupBench.sleep(20);
        a = api.findActivation(id);
      }
      if (a.isEmpty() || !a.get().hasNonNull("init_ms")) {
        throw new IllegalStateException("no activation record with init_ms for call " + id);
      }
      into.add(metric, a.get().get("init_ms").asDouble());
    }
  }

  /** Waits until forkd runs {@code seeds} seeds and (unless negative) {@code instances} other instances. */
  static void awaitHealth(ForkdClient forkd, int seeds, int instances, String what) {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      ForkdHealth h = Await.result(forkd.health(), 30_000, "forkd's health");
      if (h.seeds() >= seeds && (instances < 0 || h.instances() == instances)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("waited 60 s for " + what + " (forkd has " + h.seeds() + " seeds, "
            + h.instances() + " instances)");
      }
      StartupBench.sleep(20);
    }
  }
}
