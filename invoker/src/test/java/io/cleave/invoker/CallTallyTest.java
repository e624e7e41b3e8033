package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cleave.common.invoke.FnActivity;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the console's live view reads: calls counted by outcome per function, and latency percentiles. */
class CallTallyTest {

  @Test
  void countsCallsByOutcomePerFunction() {
    CallTally tally = new CallTally();
    tally.ended("f", "cold", ms(300));
    tally.ended("f", "fork", ms(20));
    tally.ended("f", "fork", ms(25));
    tally.ended("f", "rejected", ms(3000));
    tally.ended("g", "warm", ms(5));
    assertEquals(Map.of("cold", 1L, "fork", 2L, "rejected", 1L), tally.calls("f"));
    assertEquals(Map.of("warm", 1L), tally.calls("g"));
    assertEquals(Map.of(), tally.calls("never-called"));
  }

  @Test
  void latencyPercentilesAreNearestRankOverRecentCalls() {
    CallTally tally = new CallTally();
    for (int i = 1; i <= 100; i++) {
      tally.ended("f", "warm", ms(i));
    }
    assertEquals(new FnActivity.Latency(100, 50, 90, 99, 100), tally.latency("f"));
    assertEquals(new FnActivity.Latency(0, 0, 0, 0, 0), tally.latency("never-called"));
  }

  @Test
  void onlyTheLatestCallsOfAFunctionAreKept() {
    CallTally tally = new CallTally();
    for (int i = 0; i < CallTally.RECENT; i++) {
      tally.ended("f", "warm", ms(1000));
    }
    for (int i = 0; i < CallTally.RECENT; i++) {
      tally.ended("f", "warm", ms(1));
    }
    assertEquals(new FnActivity.Latency(CallTally.RECENT, 1, 1, 1, 1), tally.latency("f"));
    assertEquals(Map.of("warm", 2L * CallTally.RECENT), tally.calls("f"));
  }

  @Test
  void theLeastRecentlyCalledFunctionsAreForgottenPastTheBound() {
    CallTally tally = new CallTally();
    for (int i = 0; i <= CallTally.MAX_FUNCTIONS; i++) {
      tally.ended("f" + i, "warm", ms(1));
    }
    assertEquals(Map.of(), tally.calls("f0"));
    assertEquals(Map.of("warm", 1L), tally.calls("f" + CallTally.MAX_FUNCTIONS));
  }

  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }
}
