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
    try (ActivationStore store = open(new ActivationStore.Retention(Duration.ofDays(7), 1000, 1L << 30))) {
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
    try (ActivationStore store = open(new ActivationStore.Retention(Duration.ofDays(7), 1000, 1L << 30))) {
      store.record(activation("x", "f", t0, "error"), "first");
      store.record(activation("x", "f", t0.plusSeconds(1), "success"), "second");
    }
    try (ActivationStore store = open(new ActivationStore.Retention(Duration.ofDays(7), 1000, 1L << 30))) {
      List<Activation> all = Waits.await(store.list(new ActivationQuery("f", null, 0)));
      assertEquals(1, all.size());
      assertEquals("success", all.get(0).status());
      assertEquals("second", Waits.await(store.logs("x")).orElseThrow());
    }
  }

  @Test
  void retentionDropsTheOldestByAgeAndByCount() {
    Instant now = Instant.now();
    try (ActivationStore store = open(new ActivationStore.Retention(Duration.ofHours(1), 5, 1L << 30))) {
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

  /**
   * Writing ten times the byte budget of logs keeps the store within it, oldest dropped first, the
   * newest readable, the count right across a reopen, and the directory near the budget on disk.
   */
  @Test
  void theByteBudgetDropsTheOldestFirst() throws Exception {
    long budget = 4L << 20;
    byte[] noise = new byte[48 * 1024];
    new java.util.Random(7).nextBytes(noise);
    String log = java.util.Base64.getEncoder().encodeToString(noise); // 64 KiB that does not compress away
    Instant t0 = Instant.now().minusSeconds(3600);
    int calls = (int) (10 * budget / log.length());
    try (ActivationStore store = open(new ActivationStore.Retention(Duration.ofDays(7), 1_000_000, budget))) {
      for (int i = 0; i < calls; i++) {
        store.record(activation("c" + i, "f", t0.plusMillis(i), "success"), log + i);
        if (i % 50 == 0) {
          Waits.await(store.sync());
        }
      }
      Waits.await(store.sync());
      long stored = Waits.await(store.storedBytes());
      assertTrue(stored <= budget && stored > budget - 2 * log.length(), "stored " + stored);
      assertEquals(log + (calls - 1), Waits.await(store.logs("c" + (calls - 1))).orElseThrow());
      assertTrue(Waits.await(store.logs("c0")).isEmpty(), "the oldest went first");
      List<Activation> newest = Waits.await(store.list(new ActivationQuery(null, null, 1000)));
      assertEquals("c" + (calls - 1), newest.get(0).id());
      assertTrue(newest.size() < calls / 5, newest.size() + " records kept");
    }
    try (ActivationStore store = open(new ActivationStore.Retention(Duration.ofDays(7), 1_000_000, budget))) {
      long reopened = Waits.await(store.storedBytes());
      assertTrue(reopened <= budget, "counted again at open: " + reopened);
    }
    long onDisk = directoryBytes(dir.resolve("activations"));
    System.out.printf("activation byte budget %d: wrote %d bytes of logs, %d bytes on disk after%n",
        budget, (long) calls * log.length(), onDisk);
    assertTrue(onDisk < 2 * budget, onDisk + " bytes on disk");
  }

  private static long directoryBytes(Path root) throws java.io.IOException {
    try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(root)) {
      long total = 0;
      for (Path p : walk.filter(java.nio.file.Files::isRegularFile).toList()) {
        total += java.nio.file.Files.size(p);
      }
      return total;
    }
  }
}
