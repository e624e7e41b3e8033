package io.cleave.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.invoke.FnActivity;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The live feed's per-second counts, taken as differences of the invoker's running totals. */
class ActivityRoutesTest {

  private static FnActivity totals(Map<String, Long> calls) {
    return new FnActivity("n1", calls, new FnActivity.Latency(0, 0, 0, 0, 0), new FnActivity.Instances(0, 1, 0, 0),
        Map.of("cold", 1), new FnActivity.SeedState("ready", false, 0), Map.of());
  }

  @Test
  void theFirstEventSetsTheBaselineAndLaterOnesCountWhatEndedSince() {
    Map<String, Long> last = new HashMap<>();
    JsonNode first = ActivityRoutes.event(totals(Map.of("cold", 1L, "warm", 40L)), last, true);
    assertEquals(0, first.path("per_second").size(), first.toString());
    assertEquals(40, first.path("calls").path("warm").asLong());
    assertTrue(first.path("t").asText().endsWith("Z"), first.toString());
    assertEquals("ready", first.path("seed").path("state").asText());

    JsonNode next = ActivityRoutes.event(totals(Map.of("cold", 1L, "warm", 43L, "fork", 2L)), last, false);
    assertEquals(3, next.path("per_second").path("warm").asLong(), next.toString());
    assertEquals(2, next.path("per_second").path("fork").asLong(), next.toString());
    assertTrue(next.path("per_second").path("cold").isMissingNode(), "nothing new started cold: " + next);
  }

  @Test
  void totalsThatWentDownStartedAgain() {
    Map<String, Long> last = new HashMap<>();
    ActivityRoutes.event(totals(Map.of("warm", 40L)), last, true);
    JsonNode after = ActivityRoutes.event(totals(Map.of("warm", 2L)), last, false);
    assertEquals(2, after.path("per_second").path("warm").asLong(), after.toString());
  }
}
