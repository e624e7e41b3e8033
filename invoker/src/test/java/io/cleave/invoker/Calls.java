package io.cleave.invoker;

import io.cleave.common.invoke.Call;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builds the model objects the invoker's tests feed it. */
final class Calls {
  private Calls() {}

  static App app() {
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    return new App("app1", "demo", Map.of("SHARED", "app"), Map.of(), null, t, t);
  }

  static Fn fn(String id, String image) {
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    return new Fn(id, id + "-name", "app1", image, 128, 30, 30, 1, Map.of("K", "v"), Map.of(), t, t);
  }

  static Call call(Fn fn, String body) {
    return new Call(
        UUID.randomUUID().toString(),
        app(),
        fn,
        "POST",
        "http://localhost/invoke/" + fn.id(),
        Map.of("Content-Type", List.of("text/plain"), "X-Extra", List.of("a", "b")),
        Buffer.buffer(body),
        Instant.now());
  }
}
