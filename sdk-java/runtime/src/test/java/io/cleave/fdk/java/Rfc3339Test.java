package io.cleave.fdk.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fn-Deadline's reader agrees with java.time on every form it reads and declines the rest. */
class Rfc3339Test {
  @Test
  void readsTheFormsTheInvokerAndFnSendAsJavaTimeDoes() {
    for (String s : List.of("2026-12-06T18:13:09Z", "2026-12-06T18:13:09.1Z", "2026-12-06T18:13:09.123Z",
        "2026-12-06T18:13:09.123456789Z", "2026-12-06t18:13:09.5z", "2026-12-06T18:13:09.250+01:30",
        "2026-12-06T00:00:00-08:00", "2024-02-29T23:59:59.999999999+18:00", "1969-12-31T23:59:59.5Z",
        "2099-01-01T00:00:00Z")) {
      assertEquals(OffsetDateTime.parse(s).toInstant(), Rfc3339.parse(s), s);
    }
  }

  @Test
  void declinesWhatItDoesNotReadSoJavaTimeDecides() {
    for (String s : List.of("", "2026-12-06", "2026-12-06T18:13Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-12-06T24:00:00Z", "2026-12-06T18:13:09", "2026-12-06T18:13:09.Z", "2026-12-06T18:13:09.1234567891Z",
        "2026-12-06T18:13:09+0100", "2026-12-06T18:13:09+19:00", "2026-1a-06T18:13:09Z", "2026-12-06T18:13:09Zjunk",
        "+12026-12-06T18:13:09Z")) {
      assertNull(Rfc3339.parse(s), s);
    }
  }

  @Test
  void aDeadlineItDeclinesIsReadByJavaTimeOrNotAtAll() {
    assertEquals(Instant.parse("2026-12-06T18:13:00Z"), FunctionCall.instant("2026-12-06T18:13Z")); // no seconds
    assertNull(FunctionCall.instant("2026-02-30T00:00:00Z"));
    assertNull(FunctionCall.instant("tomorrow"));
  }
}
