package io.cleave.flows;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.error.ApiError;
import io.cleave.common.flow.Flow;
import io.cleave.common.flow.FlowRun;
import io.cleave.common.flow.FlowRuns;
import io.cleave.common.flow.FlowStatus;
import io.cleave.common.flow.FlowStep;
import io.cleave.common.id.Ulid;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.registry.AppRegistry;
import io.cleave.registry.FnRegistry;
import io.cleave.registry.FnTarget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

/**
 * The flow engine of a node: starts runs, drives them ({@link ActiveRun}), answers for them, and
 * at start-up resumes the runs a stopped or killed server left running. Runs are kept by the node
 * that started them ({@code <data>/flows}). All run state lives on one Vert.x context; the
 * methods hop onto it, and disk work goes to worker threads.
 */
public final class FlowEngine implements FlowRuns, AutoCloseable {
  private final RunServices services;
  private final RunStore store;
  /** Every run this node holds, by id (ULIDs: in start order). */
  private final NavigableMap<String, StoredRun> runs = new ConcurrentSkipListMap<>();
  private final Map<String, ActiveRun> active = new HashMap<>();

  private FlowEngine(RunServices services, RunStore store) {
    this.services = services;
    this.store = store;
  }

  /**
   * Opens the runs under {@code dataDir/flows} and resumes those still running (blocking: call it
   * while the server starts). Steps call functions through {@code invoker}, fork edges through {@code forks}.
   */
  public static FlowEngine open(Vertx vertx, Path dataDir, FunctionInvoker invoker, ForkedStepStarter forks,
      AppRegistry apps, FnRegistry fns) {
    RunStore store = new RunStore(dataDir.resolve("flows"));
    Context context = vertx.getOrCreateContext();
    RunServices services = new RunServices(vertx, context, new RunWriter(vertx, store),
        new StepCaller(vertx, invoker, forks), forks,
        (appId, fnName) -> apps.app(appId).flatMap(app -> fns.listFns(appId, fnName, null, 1).items().stream()
            .filter(f -> f.name().equals(fnName)).findFirst().map(f -> new FnTarget(app, f))));
    FlowEngine engine = new FlowEngine(services, store);
    for (StoredRun r : store.runs()) {
      engine.runs.put(r.id(), r);
      if (r.status() == FlowStatus.RUNNING) {
        ActiveRun resumed = new ActiveRun(services, r, store.items(r.id()), engine::ended);
        context.runOnContext(v -> {
          engine.active.put(r.id(), resumed);
          resumed.advance();
        });
      }
    }
    return engine;
  }

  @Override
  public Optional<String> forkUnavailable() {
    return services.forks().unavailable();
  }

  @Override
  public Future<Void> checkForkEdges(String appId, List<FlowStep> steps) {
    return ForkEdgeRuntimes.check(services, appId, steps);
  }

  @Override
  public Future<FlowRun> run(Flow flow, JsonNode input) {
    return onEngine(() -> start(flow, input, false).compose(ActiveRun::ended));
  }

  @Override
  public Future<FlowRun> submit(Flow flow, JsonNode input) {
    return onEngine(() -> start(flow, input, true).map(ActiveRun::view));
  }

  /** Stores the new run, then starts its first steps; a waiter registered on the answer misses nothing. */
  private Future<ActiveRun> start(Flow flow, JsonNode input, boolean detached) {
    StoredRun run = new StoredRun(Ulid.next(), flow, input, detached, FlowStatus.RUNNING, null, null, Instant.now(),
        null);
    return services.write(RunStore.entry(run)).map(v -> {
      runs.put(run.id(), run);
      ActiveRun a = new ActiveRun(services, run, List.of(), this::ended);
      active.put(run.id(), a);
      services.context().runOnContext(x -> a.advance());
      return a;
    });
  }

  @Override
  public Future<FlowRun> get(String runId) {
    return onEngine(() -> {
      ActiveRun a = active.get(runId);
      if (a != null) {
        return Future.succeededFuture(a.view());
      }
      StoredRun r = known(runId);
      return services.here(services.vertx().executeBlocking(() -> RunViews.full(r, store.items(runId), Set.of()),
          false));
    });
  }

  @Override
  public Future<List<FlowRun>> list(String appId, String flowId, int limit) {
    // On the engine, and from a running run's own state where it has one: get answers from it too,
    // so a run get shows as ended is never listed as still running.
    return onEngine(() -> Future.succeededFuture(runs.descendingMap().values().stream()
        .filter(r -> appId == null || appId.equals(r.flow().appId()))
        .filter(r -> flowId == null || flowId.equals(r.flow().id()))
        .limit(limit).map(r -> {
          ActiveRun a = active.get(r.id());
          return RunViews.summary(a == null ? r : a.stored());
        }).toList()));
  }

  @Override
  public Future<FlowRun> cancel(String runId) {
    return onEngine(() -> {
      ActiveRun a = active.get(runId);
      if (a == null) {
        StoredRun r = known(runId);
        throw new ApiError(409, "flow run " + runId + " has already " + r.status().wireName());
      }
      return a.cancel();
    });
  }

  private StoredRun known(String runId) {
    StoredRun r = runs.get(runId);
    if (r == null) {
      throw new ApiError(404, "Flow run not found");
    }
    return r;
  }

  private void ended(ActiveRun run) {
    active.remove(run.id());
    runs.put(run.id(), run.stored());
  }

  /** Runs {@code work} on the engine's context; what it throws fails the answer. */
  private <T> Future<T> onEngine(Supplier<Future<T>> work) {
    Promise<T> answer = Promise.promise();
    services.context().runOnContext(v -> {
      try {
        work.get().onComplete(answer);
      } catch (RuntimeException e) {
        answer.fail(e);
      }
    });
    return answer.future();
  }

  /** Stops storing: runs still going stay stored as running and resume at the next start. */
  @Override
  public void close() {
    store.close();
  }
}
