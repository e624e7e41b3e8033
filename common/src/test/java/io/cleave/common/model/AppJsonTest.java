package io.cleave.common.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.cleave.common.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Apps are stored and shared as JSON: the shape survives, and apps stored before it existed still read. */
class AppJsonTest {
  @Test
  void shapeRoundTripsAndOldRecordsReadWithout() {
    Instant t = Instant.parse("2018-03-07T21:35:03.155Z");
    App arm = new App("id1", "a", Map.of("k", ""), Map.of(), null, "GENERIC_ARM", t, t);
    assertEquals(arm, Json.fromBytes(Json.toBytes(arm), App.class));
    App plain = new App("id2", "b", Map.of(), Map.of(), null, t, t);
    assertNull(plain.shape());
    assertEquals(plain, Json.fromBytes(Json.toBytes(plain), App.class));
    String old = "{\"id\":\"id3\",\"name\":\"c\",\"config\":{},\"annotations\":{},\"created_at\":\"2018-03-07T21:35:03.155Z\","
        + "\"updated_at\":\"2018-03-07T21:35:03.155Z\"}";
    App read = Json.fromBytes(old.getBytes(StandardCharsets.UTF_8), App.class);
    assertEquals("c", read.name());
    assertNull(read.shape());
  }
}
