package io.cleave.flows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.error.ApiError;
import io.cleave.common.flow.EdgePass;
import io.cleave.common.flow.FlowEdge;
import io.cleave.common.flow.FlowRun;
import io.cleave.common.flow.FlowRun.StepCall;
import io.cleave.common.flow.FlowStatus;
import io.cleave.common.flow.FlowStep;
import io.cleave.common.id.Ulid;
import io.cleave.common.json.Json;
import io.cleave.registry.FnTarget;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A run being driven: starts each step once its producers have succeeded (a map's calls at most
 * {@code parallelism} at a time), retries failed calls with backoff, and ends the run once. Every
 * transition is stored (synced) before the run acts on it, so a restart finds each succeeded call
 * with its result and runs the others again: a call's success is acted on before it is stored only
 * in memory, since the writes are stored in order ({@link RunWriter}) and a step's first call
 * starts, or the run ends, once its own later write is stored. A step's later calls (a map's
 * items, retries) start while their start record is stored: what they depend on is stored already,
 * and a call whose start record a crash lost runs again after the restart, as any call that had
 * not succeeded. Touched on the engine's context only.
 */
final class ActiveRun {
  private static final Logger LOG = Logger.getLogger(ActiveRun.class.getName());
  private static final long FIRST_BACKOFF_MS = 250;
  private static final long MAX_BACKOFF_MS = 10_000;

  private final RunServices services;
  private final Consumer<ActiveRun> onEnd;
  private StoredRun run;
  private final Map<String, FlowStep> steps = new LinkedHashMap<>();
  /** Each started step's calls by item; a step is absent until its producers have succeeded. */
  private final Map<String, StoredItem[]> items = new HashMap<>();
  private final Map<String, JsonNode> outputs = new HashMap<>();
  /** Results consumers take by copy, serialised once each (see {@link StepInputs#serialised}). */
  private final Map<String, JsonNode> serialisedOutputs = new HashMap<>();
  /** Calls in flight or waiting out a backoff, per step: they hold the step's parallelism. */
  private final Map<String, Integer> busy = new HashMap<>();
  /** Calls waiting out a backoff ("step/item"): pending, but not to be started by {@link #advance}. */
  private final Set<String> backingOff = new HashSet<>();
  private final RunForks forks;
  /**
   * Steps one of whose start records is stored, and with it (the writes are stored in order) the
   * successes of the producers they start after: their later calls start while their own start
   * record is being stored.
   */
  private final Set<String> producersStored = new HashSet<>();
  private final List<Promise<FlowRun>> waiters = new ArrayList<>();
  private boolean ended;

  ActiveRun(RunServices services, StoredRun run, Collection<StoredItem> stored, Consumer<ActiveRun> onEnd) {
    this.services = services;
    this.run = run;
    this.onEnd = onEnd;
    this.forks = new RunForks(services, run.flow().appId(), steps, outputs, this::serialisedOutput);
    run.flow().steps().forEach(s -> steps.put(s.name(), s));
    Map<String, List<StoredItem>> byStep = new HashMap<>();
    for (StoredItem i : stored) {
      byStep.computeIfAbsent(i.step(), k -> new ArrayList<>()).add(i);
    }
    Set<String> rerun = forkProducersToRunAgain(byStep);
    byStep.forEach((step, list) -> {
      StoredItem[] arr = new StoredItem[list.stream().mapToInt(StoredItem::item).max().orElse(-1) + 1];
      for (StoredItem i : list) {
        arr[i.item()] = i.status() == FlowStatus.SUCCEEDED && !rerun.contains(step) ? i : i.pendingAgain();
      }
      items.put(step, arr);
    });
  }

  /**
   * Kept instances do not survive a restart: a fork producer with a consumer still to succeed runs
   * again, so that consumer has an instance to fork from.
   */
  private Set<String> forkProducersToRunAgain(Map<String, List<StoredItem>> byStep) {
    Set<String> rerun = new HashSet<>();
    for (FlowStep s : steps.values()) {
      boolean consumerDone = byStep.getOrDefault(s.name(), List.of()).stream()
          .allMatch(i -> i.status() == FlowStatus.SUCCEEDED) && byStep.containsKey(s.name());
      for (FlowEdge e : s.edges()) {
        if (e.pass() == EdgePass.FORK && !consumerDone) {
          rerun.add(e.step());
        }
      }
    }
    return rerun;
  }

  String id() {
    return run.id();
  }

  StoredRun stored() {
    return run;
  }

  FlowRun view() {
    List<StoredItem> all = new ArrayList<>();
    items.values().forEach(arr -> {
      for (StoredItem i : arr) {
        if (i != null) {
          all.add(i);
        }
      }
    });
    return RunViews.full(run, all, outputs.keySet());
  }

  /** Completes with the run once it has ended (and its end is stored). */
  Future<FlowRun> ended() {
    Promise<FlowRun> p = Promise.promise();
    waiters.add(p);
    return p.future();
  }

  /** Starts what can start; ends the run when every step has succeeded. */
  void advance() {
    if (ended) {
      return;
    }
    boolean progressed = false;
    for (FlowStep s : steps.values()) {
      if (outputs.containsKey(s.name()) || !producersDone(s)) {
        continue;
      }
      StoredItem[] mine = items.get(s.name());
      int count = itemCount(s);
      if (count < 0) {
        return; // the run failed: the mapped result is not a list
      }
      if (mine == null || mine.length != count) {
        StoredItem[] sized = new StoredItem[count];
        for (int i = 0; i < count; i++) {
          sized[i] = mine != null && i < mine.length && mine[i] != null ? mine[i] : StoredItem.fresh(s.name(), i);
        }
        mine = sized;
        items.put(s.name(), mine);
      }
      if (java.util.Arrays.stream(mine).allMatch(i -> i.status() == FlowStatus.SUCCEEDED)) {
        complete(s, mine);
        progressed = true;
        continue;
      }
      int bound = s.map() == null ? 1 : s.parallelismOrDefault();
      for (int i = 0; i < mine.length && busy.getOrDefault(s.name(), 0) < bound; i++) {
        if (mine[i].status() == FlowStatus.PENDING && !backingOff.contains(s.name() + "/" + i)) {
          busy.merge(s.name(), 1, Integer::sum);
          launch(s, i);
        }
      }
    }
    if (outputs.size() == steps.size()) {
      finish(FlowStatus.SUCCEEDED, result(), null);
    } else if (progressed) {
      advance();
    }
  }

  private boolean producersDone(FlowStep s) {
    return s.edges().stream().allMatch(e -> outputs.containsKey(e.step()));
  }

  /** 1, or for a map the length of the mapped result (-1, failing the run, when it is not a list). */
  private int itemCount(FlowStep s) {
    if (s.map() == null) {
      return 1;
    }
    JsonNode source = outputs.get(s.map());
    if (!source.isArray()) {
      finish(FlowStatus.FAILED, null, "step " + s.name() + " maps over the result of " + s.map()
          + ", which is not a list (it is " + source.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ")");
      return -1;
    }
    return source.size();
  }

  private void complete(FlowStep s, StoredItem[] done) {
    if (s.map() == null) {
      outputs.put(s.name(), done[0].output());
    } else {
      ArrayNode list = Json.MAPPER.createArrayNode();
      for (StoredItem i : done) {
        list.add(i.output());
      }
      outputs.put(s.name(), list);
    }
    forks.releaseNoLongerNeeded();
  }

  /** Marks the call running (stored first, unless its step has a call stored already), then makes the attempt. */
  private void launch(FlowStep s, int item) {
    StoredItem current = items.get(s.name())[item];
    int attempt = current.calls().size() + 1;
    StatePassing passing = forks.passing(s);
    StatePassing.Fork fork = passing instanceof StatePassing.Fork f ? f : null;
    String forkedFrom = fork == null ? null : fork.producer();
    StepCall started = new StepCall(item, attempt, Ulid.next(), null,
        forkedFrom == null ? EdgePass.COPY : EdgePass.FORK, FlowStatus.RUNNING, Instant.now(), null, null, null);
    StoredItem running = current.with(FlowStatus.RUNNING, null, started);
    items.get(s.name())[item] = running;
    Runnable makeAttempt = () -> {
      var target = services.fns().apply(run.flow().appId(), s.fn());
      if (target.isEmpty()) {
        attempted(s, item, started, new StepCaller.Outcome(null, "function " + s.fn() + " is not in the app any more",
            null, null));
        return;
      }
      FnTarget t = target.get();
      JsonNode input = StepInputs.of(s, item, outputs, this::serialisedOutput, run.input(),
          fork == null ? Set.of() : fork.readInMemory());
      var call = StepCaller.call(started.activationId(), t.app(), t.fn(), run.id(), s.name(), item, input);
      services.here(services.caller().attempt(call, passing, forks.forkAheadOf(s),
              forkedFrom == null ? 0 : pendingBesides(s, item), s.timeout()))
          .onComplete(ar -> attempted(s, item, started, ar.succeeded() ? ar.result()
              : new StepCaller.Outcome(null, String.valueOf(ar.cause().getMessage()), null, null)));
    };
    if (producersStored.contains(s.name())) {
      store(running, () -> {});
      makeAttempt.run();
    } else {
      if (fork != null) {
        forks.forkAheadWithCopies(s, fork, items.get(s.name()).length); // while its start record is stored
      }
      store(running, () -> {
        producersStored.add(s.name());
        makeAttempt.run();
      });
    }
  }

  private void attempted(FlowStep s, int item, StepCall started, StepCaller.Outcome outcome) {
    if (ended) {
      if (outcome.kept() != null) {
        services.forks().release(outcome.kept());
      }
      return;
    }
    Instant now = Instant.now();
    StepCall finished = new StepCall(item, started.attempt(), started.activationId(), outcome.startMode(),
        started.pass(), outcome.succeeded() ? FlowStatus.SUCCEEDED : FlowStatus.FAILED, started.startedAt(), now,
        Duration.between(started.startedAt(), now).toMillis(), outcome.error());
    StoredItem current = items.get(s.name())[item];
    if (outcome.succeeded()) {
      if (outcome.kept() != null) {
        forks.kept(s.name(), outcome.kept());
      }
      // Goes on before the success is stored: whatever it leads to (a call's start, the run's
      // end) is a later write the run waits for, and the writer stores in order.
      StoredItem succeeded = current.with(FlowStatus.SUCCEEDED, outcome.output(), finished);
      items.get(s.name())[item] = succeeded;
      store(succeeded, () -> {});
      busy.merge(s.name(), -1, Integer::sum);
      advance();
      return;
    }
    int failures = current.failures() + 1;
    if (failures <= s.retriesOrDefault()) {
      // The retry keeps its place in the step's parallelism while it waits.
      long backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(failures - 1, 20));
      String key = s.name() + "/" + item;
      backingOff.add(key);
      StoredItem pending = current.with(FlowStatus.PENDING, null, finished);
      items.get(s.name())[item] = pending;
      store(pending, () -> services.vertx().setTimer(backoff, t -> services.context().runOnContext(v -> {
        backingOff.remove(key);
        if (!ended) {
          launch(s, item);
        }
      })));
      return;
    }
    String which = s.map() == null ? "step " + s.name() : "step " + s.name() + " (item " + item + ")";
    settle(s, item, current.with(FlowStatus.FAILED, null, finished), () -> finish(FlowStatus.FAILED, null,
        which + " failed" + (started.attempt() > 1 ? " after " + started.attempt() + " attempts" : "") + ": "
            + outcome.error()));
  }

  /** Stores the call's new state, frees its place, then goes on. */
  private void settle(FlowStep s, int item, StoredItem next, Runnable then) {
    items.get(s.name())[item] = next;
    store(next, () -> {
      busy.merge(s.name(), -1, Integer::sum);
      then.run();
    });
  }

  private void store(StoredItem item, Runnable then) {
    services.write(RunStore.entry(run.id(), item)).onComplete(ar -> {
      if (ar.failed()) {
        LOG.log(Level.SEVERE, "flow run " + run.id() + ": cannot store a step call", ar.cause());
        finish(FlowStatus.FAILED, null, "the run's state could not be stored: " + ar.cause().getMessage());
      } else if (!ended) {
        then.run();
      }
    });
  }

  /** A producer's result, serialised once per run for whatever takes it by copy. */
  private JsonNode serialisedOutput(String producer) {
    return serialisedOutputs.computeIfAbsent(producer, k -> StepInputs.serialised(outputs.get(k)));
  }

  /** The step's calls still to be launched besides {@code item} (children to keep forked ahead for them). */
  private int pendingBesides(FlowStep s, int item) {
    StoredItem[] mine = items.get(s.name());
    int n = 0;
    for (int i = 0; i < mine.length; i++) {
      if (i != item && mine[i].status() == FlowStatus.PENDING && !backingOff.contains(s.name() + "/" + i)) {
        n++;
      }
    }
    return n;
  }

  /** The last step's result, or an object of the last steps' results by name. */
  private JsonNode result() {
    var sinks = run.flow().sinks();
    if (sinks.size() == 1) {
      return outputs.get(sinks.get(0).name());
    }
    ObjectNode o = Json.MAPPER.createObjectNode();
    sinks.forEach(s -> o.set(s.name(), outputs.get(s.name())));
    return o;
  }

  /** Cancels the run; completes once the cancellation is stored. */
  Future<FlowRun> cancel() {
    if (ended) {
      return Future.failedFuture(new ApiError(409, "flow run " + run.id() + " has already ended"));
    }
    Future<FlowRun> end = ended();
    finish(FlowStatus.CANCELLED, null, "cancelled");
    return end;
  }

  /** Ends the run once: its end is stored, then waiters learn it. */
  private void finish(FlowStatus status, JsonNode output, String error) {
    if (ended) {
      return;
    }
    ended = true;
    forks.releaseAll();
    run = run.ended(status, output, error);
    StoredRun last = run;
    services.write(RunStore.entry(last)).onComplete(ar -> {
      onEnd.accept(this);
      FlowRun view = view();
      for (Promise<FlowRun> w : waiters) {
        if (ar.succeeded()) {
          w.tryComplete(view);
        } else {
          LOG.log(Level.SEVERE, "flow run " + run.id() + ": cannot store its end", ar.cause());
          w.tryFail(new ApiError(500, "the end of flow run " + run.id() + " could not be stored"));
        }
      }
      waiters.clear();
    });
  }
}
