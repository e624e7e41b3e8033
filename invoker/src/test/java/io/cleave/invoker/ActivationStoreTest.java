package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.activation.Activation;
import io.cleave.common.activation.ActivationQuery;
import io.cleave.common.model.StartMode;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivationStoreTest {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() {
    Waits.await(vertx.close());
  }

  private static Activation activation(String id, String fn, Instant start, String status) {
    return new Activation(id, "app1", fn, "node1", StartMode.WARM, status, 200, start, start.plusMillis(5), 5, 1, 0, 10, null, null, null);
  }

  private ActivationStore open(ActivationStore.Retention r) {
    return ActivationStore.open(vertx, dir.resolve("activations"), r);
  }

  @Test
  void listsNewestFirstWithFiltersAndReadsLogsBack() {
    Instant t0 = Instant.now().minusSeconds(100);
    try (ActivationStore store = open(new ActivationStore.Retention(Duration.ofDays(7), 1000))) {
      for (int i = 0; i < 10; i++) {
        store.record(activation("a" + i, i % 2 == 0 ? "even" : "odd", t0.plusSeconds(i), "success"), "log " + i);
      }
      List<Activation> all = Waits.await(store.list(new ActivationQuery(null, null, 0)));
      assertEquals(10, all.size());
      assertEquals("a9", all.get(0).id());
      assertEquals("a0", all.get(9).id());

      List<Activation> even = Waits.await(store.list(new ActivationQuery("even", null, 0)));
      assertEquals(List.of("a8", "a6", "a4", "a2", "a0"), even.stream().map(Activation::id).toList());

      List<Activation> recentOdd = Waits.await(store.list(new ActivationQuery("odd", t0.plusSeconds(5), 0)));
      assertEquals(List.of("a9", "a7", "a5"), recentOdd.stream().map(Activation::id).toList());

      assertEquals(3, Waits.await(store.list(new ActivationQuery(null, null, 3))).size());
      assertEquals("log 4", Waits.await(store.logs("a4")).orElseThrow());
      assertEquals(StartMode.WARM, Waits.await(store.get("a4")).orElseThrow().startMode());
      assertTrue(Waits.await(store.get("missing")).isEmpty());
      assertTrue(Waits.await(store.logs("missing")).isEmpty());
    }
  }

  @Test
  void aRecordWithTheSameIdReplacesTheOldOneAndSurvivesReopen() {
    Instant t0 = Instant.now();
    try (ActivationStore store = open(new ActivationStore.Retention(Duration.ofDays(7), 1000))) {
      store.record(activation("x", "f", t0, "error"), "first");
      store.record(activation("x", "f", t0.plusSeconds(1), "success"), "second");
    }
    try (ActivationStore store = open(new ActivationStore.Retention(Duration.ofDays(7), 1000))) {
      List<Activation> all = Waits.await(store.list(new ActivationQuery("f", null, 0)));
      assertEquals(1, all.size());
      assertEquals("success", all.get(0).status());
      assertEquals("second", Waits.await(store.logs("x")).orElseThrow());
    }
  }

  @Test
  void retentionDropsTheOldestByAgeAndByCount() {
    Instant now = Instant.now();
    try (ActivationStore store = open(new ActivationStore.Retention(Duration.ofHours(1), 5))) {
      store.record(activation("old1", "f", now.minus(Duration.ofHours(3)), "success"), "");
      store.record(activation("old2", "g", now.minus(Duration.ofHours(2)), "success"), "");
      for (int i = 0; i < 7; i++) {
        store.record(activation("new" + i, "f", now.minusSeconds(60 - i), "success"), "");
      }
      assertEquals(4, Waits.await(store.sweep()));
      List<String> left = Waits.await(store.list(new ActivationQuery(null, null, 0))).stream().map(Activation::id).toList();
      assertEquals(List.of("new6", "new5", "new4", "new3", "new2"), left);
      assertTrue(Waits.await(store.logs("old1")).isEmpty());
      assertEquals(5, Waits.await(store.list(new ActivationQuery("f", null, 0))).size());
      assertTrue(Waits.await(store.list(new ActivationQuery("g", null, 0))).isEmpty());
      assertEquals(0, Waits.await(store.sweep()));
    }
  }
}
