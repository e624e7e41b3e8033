package io.cleave.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.bench.ClusterBenchCalls.Call;
import io.cleave.bench.ClusterBenchCalls.Kind;
import io.vertx.core.json.JsonObject;
import java.util.List;
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
    calls.rate(new ClusterBenchCalls.Rate("hello", 1, 2, 16, 16, 200, List.of(), List.of()));
    calls.rate(new ClusterBenchCalls.Rate("hello", 2, 2, 16, 12, 100, List.of(), List.of()));
    calls.rate(new ClusterBenchCalls.Rate("hello", 3, 2, 16, 0, Double.NaN, List.of(), List.of()));
    assertEquals(120, calls.bestRate("hello"), 1e-9);
    assertTrue(Double.isNaN(calls.bestRate("image")));
  }

  @Test
  void aRateRoundCountsTheRemoteForksOverTheirAnswersLessTheHold() {
    // Sent at 100 and 101 ms, held 1000 ms by the function: the burst's children were through by
    // 100 + 1020 - 1000 and 101 + 1039 - 1000, so 2 remote forks in 40 ms; the warm answer and the
    // failure do not count, but the first send is the first send.
    List<Call> round = List.of(
        new Call("hello", Kind.RATE, 1, "node2", "node2", "remote-fork", 200, 1020, 100, "a"),
        new Call("hello", Kind.RATE, 1, "node3", "node3", "remote-fork", 200, 1039, 101, "b"),
        new Call("hello", Kind.RATE, 1, "node2", "node2", "warm", 200, 2500, 101, "c"),
        new Call("hello", Kind.RATE, 1, "node3", "node3", "remote-fork", 502, 3000, 101, "d"));
    ClusterBenchCalls.Rate r =
        ClusterBenchCalls.Rate.of("hello", 1, 2, round, 1000, List.of(30.0, 20.0, 10.0), List.of(6.0, 2.0, 12.0));
    assertEquals(4, r.calls());
    assertEquals(2, r.remoteForks());
    assertEquals(40, r.wallMs(), 1e-9);
    assertEquals(50, r.perSecond(), 1e-9);
    // 30 + 20 + 10 ms used, 6 + 2 + 12 at the nodes' idle pace: node 3 was busier before the round
    // and adds nothing; (24 + 18) / 2 = 21 ms per remote fork.
    assertEquals(21, r.cpuMsPerRemoteFork(), 1e-9);
    assertTrue(Double.isNaN(ClusterBenchCalls.Rate.of("hello", 1, 2, round.subList(2, 4), 1000, List.of(), List.of()).wallMs()));
  }

  @Test
  void rateCallsAskTheFunctionToHoldItsInstance() {
    assertEquals(new JsonObject().put("name", "bench").put("hold_ms", 1000),
        StartupBenchFunction.HELLO.body(1000).toJsonObject());
    assertEquals(new JsonObject().put("size", 128).put("hold_ms", 250),
        StartupBenchFunction.IMAGE.body(250).toJsonObject());
  }
}
