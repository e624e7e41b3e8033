package io.cleave.bench;

import io.cleave.bench.replay.LatencyStats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every call the cluster benchmark made, as it was sent and answered, with what the answering
 * node's activation record adds (init_ms, seed_node), and the rate rounds. A call counts for its
 * kind only when it succeeded and started the way the kind asks for; the others are kept as strays.
 */
public final class ClusterBenchCalls {

  /** Why a call was made, and the start mode it is meant to see. */
  enum Kind {
    COLD("cold", "cold"),
    FIRST("first", null),
    WARMUP("warmup", null),
    LOCAL_FORK("local-fork", "fork"),
    REMOTE_FORK("remote-fork", "remote-fork"),
    WARM("warm", "warm"),
    RATE("rate", "remote-fork");

    final String id;
    /** The Cleave-Start-Mode a counted call has; null: not counted as a start of any mode. */
    final String mode;

    Kind(String id, String mode) {
      this.id = id;
      this.mode = mode;
    }
  }

  /**
   * One call. {@code gateway} is the node it was sent to, {@code ranOn} the node that answered it
   * (Cleave-Node); {@code sentMs} counts from the run's start.
   */
  record Call(String function, Kind kind, int round, String gateway, String ranOn, String startMode, int status,
      double latencyMs, double sentMs, String callId) {

    boolean counted() {
      return status / 100 == 2 && kind.mode != null && kind.mode.equals(startMode);
    }
  }

  /** What an activation record adds to a call. */
  record Activation(long initMs, String seedNode) {}

  /**
   * One round of the rate test: {@code remoteForks} of {@code calls} were restored children, over
   * {@code wallMs}; {@code cpuMs}: the CPU time each node's processes used from the round's first
   * send to its last answer (the hold included), node 1 first, and {@code idleMs} what they would
   * have used meanwhile at their pace before the round (both empty when not measured).
   */
  record Rate(String function, int round, int nodes, int calls, int remoteForks, double wallMs, List<Double> cpuMs,
      List<Double> idleMs) {
    Rate {
      cpuMs = List.copyOf(cpuMs);
      idleMs = List.copyOf(idleMs);
    }

    double perSecond() {
      return wallMs > 0 ? remoteForks * 1000.0 / wallMs : Double.NaN;
    }

    /**
     * The CPU time the nodes used over the round beyond their idle pace (the restorers and slots
     * made again during the hold included: a sustained rate pays for them too) per remote fork.
     */
    double cpuMsPerRemoteFork() {
      if (remoteForks == 0 || cpuMs.isEmpty() || idleMs.size() != cpuMs.size()) {
        return Double.NaN;
      }
      // Per node: one that was busier before the round (ending the last round's children) adds nothing, not less.
      double beyondIdle = 0;
      for (int k = 0; k < cpuMs.size(); k++) {
        beyondIdle += Math.max(0, cpuMs.get(k) - idleMs.get(k));
      }
      return beyondIdle / remoteForks;
    }

    /**
     * A round from its calls, sent at once, each asking its instance to hold it {@code holdMs}
     * before answering (so no instance of the burst is free for another of its calls): the remote
     * forks counted over the time from the first send until the last counted call's instance had
     * it and was through its work, its answer less the hold. The function sleeps at least the
     * hold, so that end is never earlier than the real one.
     */
    static Rate of(String function, int round, int nodes, List<Call> calls, int holdMs, List<Double> cpuMs,
        List<Double> idleMs) {
      double first = Double.POSITIVE_INFINITY;
      double last = Double.NEGATIVE_INFINITY;
      int remoteForks = 0;
      for (Call c : calls) {
        first = Math.min(first, c.sentMs());
        if (c.counted()) {
          remoteForks++;
          last = Math.max(last, c.sentMs() + c.latencyMs() - holdMs);
        }
      }
      return new Rate(function, round, nodes, calls.size(), remoteForks, remoteForks == 0 ? Double.NaN : last - first, cpuMs, idleMs);
    }
  }

  private final List<Call> calls = new ArrayList<>();
  private final Map<String, Activation> activations = new HashMap<>();
  private final List<Rate> rates = new ArrayList<>();

  synchronized void add(Call c) {
    calls.add(c);
  }

  synchronized void activation(String callId, Activation a) {
    activations.put(callId, a);
  }

  synchronized void rate(Rate r) {
    rates.add(r);
  }

  synchronized List<Call> all() {
    return List.copyOf(calls);
  }

  synchronized Activation activationOf(String callId) {
    return callId == null ? null : activations.get(callId);
  }

  synchronized List<Rate> rates() {
    return List.copyOf(rates);
  }

  synchronized List<Rate> rates(String function) {
    return rates.stream().filter(r -> r.function().equals(function)).toList();
  }

  /** The best rate round of a function (NaN without one). */
  double bestRate(String function) {
    return rates(function).stream().mapToDouble(Rate::perSecond).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
  }

  /** Latencies of the calls counted for a kind. */
  LatencyStats stats(String function, Kind kind) {
    return LatencyStats.of(all().stream().filter(c -> c.function().equals(function) && c.kind() == kind && c.counted())
        .mapToDouble(Call::latencyMs).toArray());
  }

  /** init_ms of the counted calls of a kind that have an activation record. */
  LatencyStats initStats(String function, Kind kind) {
    return LatencyStats.of(all().stream().filter(c -> c.function().equals(function) && c.kind() == kind && c.counted())
        .map(c -> activationOf(c.callId())).filter(Objects::nonNull).mapToDouble(Activation::initMs).toArray());
  }

  /** Remote-fork starts of a function by the node whose seed they were restored from (activation records). */
  Map<String, Integer> seedNodes(String function) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (Call c : all()) {
      Activation a = activationOf(c.callId());
      if (c.function().equals(function) && "remote-fork".equals(c.startMode()) && a != null && a.seedNode() != null) {
        out.merge(a.seedNode(), 1, Integer::sum);
      }
    }
    return out;
  }

  /** Calls of a function that were not counted, as "kind: start mode (status)" → how many. */
  Map<String, Integer> strays(String function) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (Call c : all()) {
      if (c.function().equals(function) && c.kind().mode != null && !c.counted()) {
        String what = c.kind().id + " call answered " + c.status() + " with start mode " + c.startMode();
        out.merge(what, 1, Integer::sum);
      }
    }
    return out;
  }

  /** Latency of a function's first call in the cluster (cold, its seed starting beside it); NaN if none. */
  double firstCallMs(String function) {
    return all().stream().filter(c -> c.function().equals(function) && c.kind() == Kind.FIRST).mapToDouble(Call::latencyMs)
        .findFirst().orElse(Double.NaN);
  }

  /** Failed calls (no 2xx) of a function, any kind. */
  long failures(String function) {
    return all().stream().filter(c -> c.function().equals(function) && c.status() / 100 != 2).count();
  }
}
