package io.cleave.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The spike's ratios between policies, and the goals each comparison is held to. */
class SpikeBenchRatiosTest {

  private static JsonObject policy(double p99Ms, double peakMb, long errors, double burstErrorShare) {
    return new JsonObject().put("burst_p99_ms", p99Ms).put("peak_memory_mb", peakMb).put("errors", errors)
        .put("burst_calls", new JsonObject().put("error_share", burstErrorShare));
  }

  @Test
  void remoteForkIsHeldToFivePercentOfKeepAlivesP99ATenthOfItsMemoryAndNoErrors() {
    JsonObject policies = new JsonObject()
        .put("keep-alive", policy(4000, 9000, 0, 0))
        .put("remote-fork", policy(300, 600, 2, 0.01));

    JsonArray ratios = SpikeBench.comparisons(policies);

    assertEquals(1, ratios.size(), ratios::encodePrettily);
    JsonObject r = ratios.getJsonObject(0);
    assertEquals("remote-fork", r.getString("policy"));
    assertEquals("keep-alive", r.getString("against"));
    assertEquals(0.075, r.getDouble("burst_p99_ratio"));
    assertEquals(0.0667, r.getDouble("peak_memory_ratio"));
    assertEquals(0.05, r.getDouble("p99_goal"));
    assertFalse(r.getBoolean("p99_goal_met"));
    assertTrue(r.getBoolean("memory_goal_met"));
    assertEquals(2L, r.getLong("errors"));
    assertFalse(r.getBoolean("no_errors_goal_met"));
    assertEquals("remote-fork vs keep-alive: burst p99 ratio 0.075, peak memory ratio 0.067"
            + "  (goal p99 <= 0.05: NOT met, memory <= 0.10: met, no errors: NOT met (2))\n",
        SpikeBench.ratios(new JsonObject().put("ratios", ratios)));
  }

  @Test
  void comparisonsAgainstColdOnlyHaveNoGoalAndAnOverloadedPolicyMeetsNone() {
    JsonObject policies = new JsonObject()
        .put("cold-only", policy(30000, 9000, 300, 0.8))
        .put("keep-alive", policy(3000, 9000, 0, 0))
        .put("fork", policy(250, 500, 0, 0));

    JsonArray ratios = SpikeBench.comparisons(policies);

    assertEquals(3, ratios.size(), ratios::encodePrettily);
    JsonObject forkVsKeepAlive = ratios.getJsonObject(0);
    assertTrue(forkVsKeepAlive.getBoolean("p99_goal_met") && forkVsKeepAlive.getBoolean("memory_goal_met"));
    assertFalse(forkVsKeepAlive.containsKey("no_errors_goal_met"));
    JsonObject forkVsCold = ratios.getJsonObject(1);
    assertEquals("cold-only", forkVsCold.getString("against"));
    assertTrue(forkVsCold.getBoolean("overloaded"));
    assertFalse(forkVsCold.containsKey("p99_goal"));
    assertTrue(SpikeBench.ratios(new JsonObject().put("ratios", ratios))
        .contains("fork vs cold-only: burst p99 ratio 0.008, peak memory ratio 0.056  (over 5% of a policy's burst calls failed"));
  }
}
