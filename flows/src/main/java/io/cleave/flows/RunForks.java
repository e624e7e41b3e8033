package io.cleave.flows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.flow.EdgePass;
import io.cleave.common.flow.FlowEdge;
import io.cleave.common.flow.FlowStep;
import io.cleave.common.json.Json;
import io.cleave.flows.ForkedStepStarter.ConsumerAhead;
import io.cleave.flows.ForkedStepStarter.CopiedResults;
import io.cleave.flows.ForkedStepStarter.KeptInstance;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A run's fork edges: the instances its fork producers keep, which one each consumer forks from,
 * the other fork producers' results copied into it, and the children forked ahead. Touched on the
 * engine's context only, as the run.
 */
final class RunForks {
  private final RunServices services;
  private final String appId;
  private final Map<String, FlowStep> steps;
  /** The run's step results by step name (a step is present once it succeeded). */
  private final Map<String, JsonNode> outputs;
  /** A result serialised once per run ({@link StepInputs#serialised}). */
  private final Function<String, JsonNode> serialised;
  private final Map<String, KeptInstance> kept = new HashMap<>();
  /** Per consumer and the producer it forks from: the other fork producers' results copied in (or null). */
  private final Map<String, CopiedResults> copied = new HashMap<>();

  RunForks(RunServices services, String appId, Map<String, FlowStep> steps, Map<String, JsonNode> outputs,
      Function<String, JsonNode> serialised) {
    this.services = services;
    this.appId = appId;
    this.steps = steps;
    this.outputs = outputs;
    this.serialised = serialised;
  }

  /** The instance {@code producer}'s call kept. */
  void kept(String producer, KeptInstance instance) {
    kept.put(producer, instance);
  }

  /**
   * Copy, or for a step with fork edges a fork of the kept producer instance with the most state;
   * the other fork producers' results are copied into that instance once for the step's children
   * ({@link #copiedInto}), the copy producers' results come in each call's body.
   */
  StatePassing passing(FlowStep s) {
    KeptInstance best = null;
    String producer = null;
    for (FlowEdge e : s.edges()) {
      KeptInstance k = kept.get(e.step());
      if (e.pass() == EdgePass.FORK && k != null && (best == null || k.keptBytes() > best.keptBytes())) {
        best = k;
        producer = e.step();
      }
    }
    return best == null ? new StatePassing.Copy() : new StatePassing.Fork(producer, best, copiedInto(s, producer));
  }

  /**
   * The results of the step's fork producers other than {@code forkedFrom} (a map's own list
   * excepted: each call gets its element), as one body made once per run: null when there are none.
   */
  private CopiedResults copiedInto(FlowStep s, String forkedFrom) {
    String key = s.name() + "<" + forkedFrom;
    if (copied.containsKey(key)) {
      return copied.get(key);
    }
    List<String> from = new ArrayList<>();
    ObjectNode results = Json.MAPPER.createObjectNode();
    for (FlowEdge e : s.edges()) {
      if (e.pass() == EdgePass.FORK && !e.step().equals(forkedFrom) && !e.step().equals(s.map())) {
        from.add(e.step());
        results.set(e.step(), serialised.apply(e.step()));
      }
    }
    CopiedResults made = from.isEmpty() ? null : new CopiedResults(List.copyOf(from), StepInputs.body(results));
    copied.put(key, made);
    return made;
  }

  /**
   * For a step whose calls fork with results copied in: forks its children ahead (as many as its
   * calls can use, {@code items} for a map), once those results are in the instance. Its
   * producers' instances could not fork them when they answered: which one it forks from is known
   * only once all of them have.
   */
  void forkAheadWithCopies(FlowStep s, StatePassing.Fork fork, int items) {
    if (fork.copied() == null) {
      return;
    }
    int count = Math.min(items, s.map() == null ? 1 : s.parallelismOrDefault());
    services.fns().apply(appId, s.fn()).ifPresent(t ->
        services.forks().forkAhead(fork.from(), t.app(), t.fn(), count, fork.copied()));
  }

  /**
   * Null when no fork edge leaves {@code producer} (its call runs in any instance); else the fork
   * consumers whose children its kept instance forks the moment it answered: those with no other
   * fork producer and still to run.
   */
  List<ConsumerAhead> forkAheadOf(FlowStep producer) {
    boolean keeps = steps.values().stream().anyMatch(c -> c.edges().stream()
        .anyMatch(e -> e.pass() == EdgePass.FORK && e.step().equals(producer.name())));
    if (!keeps) {
      return null;
    }
    List<ConsumerAhead> out = new ArrayList<>();
    for (FlowStep c : steps.values()) {
      long forks = c.edges().stream().filter(e -> e.pass() == EdgePass.FORK).count();
      boolean fromProducer = c.edges().stream()
          .anyMatch(e -> e.pass() == EdgePass.FORK && e.step().equals(producer.name()));
      if (forks != 1 || !fromProducer || outputs.containsKey(c.name())) {
        continue;
      }
      // A map whose list is known needs no more children than it has items.
      JsonNode list = c.map() == null ? null : outputs.get(c.map());
      int count = c.map() == null ? 1 : list != null && list.isArray()
          ? Math.min(c.parallelismOrDefault(), list.size()) : c.parallelismOrDefault();
      services.fns().apply(appId, c.fn()).ifPresent(t -> out.add(new ConsumerAhead(t.app(), t.fn(), count)));
    }
    return out;
  }

  /** Releases the kept instances no consumer still to succeed forks from. */
  void releaseNoLongerNeeded() {
    kept.entrySet().removeIf(k -> {
      boolean needed = steps.values().stream().anyMatch(c -> !outputs.containsKey(c.name())
          && c.edges().stream().anyMatch(e -> e.pass() == EdgePass.FORK && e.step().equals(k.getKey())));
      if (!needed) {
        services.forks().release(k.getValue());
      }
      return !needed;
    });
  }

  /** Releases every kept instance (the run ended). */
  void releaseAll() {
    kept.values().forEach(services.forks()::release);
    kept.clear();
  }
}
