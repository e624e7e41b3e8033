package io.cleave.common.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cleave.common.error.ApiError;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** cleave.io/network: absent or "none" is loopback only, "outbound" opts in, anything else is a 400 on write. */
class FnNetworkTest {
  @Test
  void theAnnotationChoosesTheNetwork() {
    assertEquals(FnNetwork.NONE, FnNetwork.of(Map.of()));
    assertEquals(FnNetwork.NONE, FnNetwork.of(Map.of(FnNetwork.ANNOTATION, "none")));
    assertEquals(FnNetwork.OUTBOUND, FnNetwork.of(Map.of(FnNetwork.ANNOTATION, "outbound", "other", 1)));
    Rules.fnNetwork(Map.of(FnNetwork.ANNOTATION, "outbound"));
    Rules.fnNetwork(Map.of("other", "anything"));
  }

  @Test
  void otherValuesAreRefused() {
    for (Object bad : List.<Object>of("Outbound", "inbound", "", 1, Map.of("a", "b"))) {
      ApiError e = assertThrows(ApiError.class, () -> Rules.fnNetwork(Map.of(FnNetwork.ANNOTATION, bad)));
      assertEquals(400, e.status(), e.getMessage());
      assertEquals(true, e.getMessage().startsWith("Invalid annotation cleave.io/network"), e.getMessage());
    }
  }
}
