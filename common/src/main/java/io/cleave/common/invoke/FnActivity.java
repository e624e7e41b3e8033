package io.cleave.common.invoke;

import java.util.Map;

/**
 * One function's activity on one node as its invoker counts it, for the console's live view.
 * {@code calls}: calls ended since the invoker started, keyed by start mode's wire name, or
 * {@code error} / {@code rejected} for calls that never ran; cumulative, so a reader takes
 * differences and misses none. {@code latency}: calls that ended in the last {@link #WINDOW_SECONDS}
 * seconds (the invoker keeps a function's latest few hundred). {@code byOrigin}: live instances by how they were made (cold, fork, remote-fork,
 * restore). {@code seed}: the function's seed on this node, or null; {@code remoteChildren}: live
 * instances here restored from its seed on another node, by that node (remote fork).
 */
public record FnActivity(String node, Map<String, Long> calls, Latency latency, Instances instances,
    Map<String, Integer> byOrigin, SeedState seed, Map<String, Integer> remoteChildren) {

  /** The window latency percentiles are taken over. */
  public static final int WINDOW_SECONDS = 10;

  /** Percentiles of call durations (arrival to answer) in the window; all 0 when {@code calls} is 0. */
  public record Latency(int calls, long p50Ms, long p90Ms, long p99Ms, long maxMs) {}

  /** Live instances by state: starting, idle (waiting for calls), parked (forked ahead), busy. */
  public record Instances(int starting, int idle, int parked, int busy) {}

  /**
   * The seed: {@code starting} or {@code ready}; {@code shared}: published for other nodes to
   * restore children from (remote fork); {@code children}: live instances forked from it here.
   */
  public record SeedState(String state, boolean shared, int children) {}
}
