package io.cleave.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.bench.ClusterBenchCalls.Call;
import io.cleave.bench.ClusterBenchCalls.Kind;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What counts in the cluster benchmark: a call counts for its kind only when it succeeded in the kind's start mode. */
class ClusterBenchCallsTest {

  private static Call call(Kind kind, String mode, int status, double ms, String id) {
    return new Call("hello", kind, 1, "node2", "node2", mode, status, ms, 0, id);
  }

  @Test
  void onlySuccessfulCallsInTheKindsStartModeCount() {
    ClusterBenchCalls calls = new ClusterBenchCalls();
    calls.add(call(Kind.REMOTE_FORK, "remote-fork", 200, 10, "a"));
    calls.add(call(Kind.REMOTE_FORK, "remote-fork", 200, 30, "b"));
    calls.add(call(Kind.REMOTE_FORK, "warm", 200, 2, "c"));
    calls.add(call(Kind.REMOTE_FORK, "remote-fork", 503, 1, "d"));
    calls.add(call(Kind.WARMUP, "remote-fork", 200, 50, "e"));

    assertEquals(2, calls.stats("hello", Kind.REMOTE_FORK).count());
    assertEquals(10, calls.stats("hello", Kind.REMOTE_FORK).p50());
    assertEquals(Map.of("remote-fork call answered 200 with start mode warm", 1,
        "remote-fork call answered 503 with start mode remote-fork", 1), calls.strays("hello"));
    assertEquals(1, calls.failures("hello"));
    assertEquals(0, calls.stats("image", Kind.REMOTE_FORK).count());
  }

  @Test
  void activationsGiveInitTimesAndSeedNodes() {
    ClusterBenchCalls calls = new ClusterBenchCalls();
    calls.add(call(Kind.REMOTE_FORK, "remote-fork", 200, 10, "a"));
    calls.add(call(Kind.RATE, "remote-fork", 200, 12, "b"));
    calls.activation("a", new ClusterBenchCalls.Activation(7, "node1"));
    calls.activation("b", new ClusterBenchCalls.Activation(9, "node1"));
    assertEquals(7, calls.initStats("hello", Kind.REMOTE_FORK).p50());
    assertEquals(Map.of("node1", 2), calls.seedNodes("hello"));
  }

  @Test
  void theBestRateRoundCounts() {
    ClusterBenchCalls calls = new ClusterBenchCalls();
    calls.rate(new ClusterBenchCalls.Rate("hello", 1, 2, 16, 16, 200));
    calls.rate(new ClusterBenchCalls.Rate("hello", 2, 2, 16, 12, 100));
    calls.rate(new ClusterBenchCalls.Rate("hello", 3, 2, 16, 0, Double.NaN));
    assertEquals(120, calls.bestRate("hello"), 1e-9);
    assertTrue(Double.isNaN(calls.bestRate("image")));
  }
}
