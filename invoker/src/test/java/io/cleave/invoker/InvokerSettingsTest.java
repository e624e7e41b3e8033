package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class InvokerSettingsTest {
  @Test
  void policiesAndDurationsParseAndBadValuesSayWhatIsAccepted() {
    assertEquals(Policy.KEEP_ALIVE, Policy.parse(" Keep-Alive "));
    assertEquals(Policy.COLD_ONLY, Policy.parse("cold-only"));
    String message = assertThrows(IllegalArgumentException.class, () -> Policy.parse("warm")).getMessage();
    assertTrue(message.contains("cold-only, keep-alive, fork"), message);

    assertEquals(Duration.ofMillis(500), InvokerSettings.parseDuration("500ms"));
    assertEquals(Duration.ofMinutes(10), InvokerSettings.parseDuration("10m"));
    assertEquals(Duration.ofDays(7), InvokerSettings.parseDuration("7d"));
    assertThrows(IllegalArgumentException.class, () -> InvokerSettings.parseDuration("ten minutes"));
    assertTrue(InvokerSettings.defaultCapacityMb() >= 256);
  }
}
