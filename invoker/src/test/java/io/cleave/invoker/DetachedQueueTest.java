package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.model.Fn;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetachedQueueTest {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();
  private final Fn fn = Calls.fn("f1", "bundle:sha256:00");

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met in 20 s");
      }
      Thread.sleep(10);
    }
  }

  @Test
  void callsQueuedBeforeARestartRunOnceAfterItWithTheirContent() throws Exception {
    List<Call> sent = new ArrayList<>();
    try (DetachedQueue queue = DetachedQueue.open(vertx, dir, 2)) {
      for (int i = 0; i < 5; i++) {
        Call c = Calls.call(fn, "body " + i);
        sent.add(c);
        queue.add(c).await();
      }
      assertEquals(5, queue.depth());
    }
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    Map<String, String> bodies = new ConcurrentHashMap<>();
    try (DetachedQueue queue = DetachedQueue.open(vertx, dir, 2)) {
      queue.start(c -> {
        runs.computeIfAbsent(c.id(), k -> new AtomicInteger()).incrementAndGet();
        bodies.put(c.id(), c.body().toString());
        assertEquals(List.of("a", "b"), c.headers().get("X-Extra"));
        assertEquals("f1", c.fn().id());
        return Future.succeededFuture();
      });
      waitUntil(() -> queue.depth() == 0 && runs.size() == 5);
    }
    try (DetachedQueue queue = DetachedQueue.open(vertx, dir, 2)) {
      queue.start(c -> {
        runs.computeIfAbsent(c.id(), k -> new AtomicInteger()).incrementAndGet();
        return Future.succeededFuture();
      });
      Thread.sleep(200);
      assertEquals(0, queue.depth());
    }
    for (Call c : sent) {
      assertEquals(1, runs.get(c.id()).get(), "runs of " + c.id());
      assertEquals(c.body().toString(), bodies.get(c.id()));
    }
  }

  @Test
  void parallelismIsBoundedAndFailedCallsAreNotRetried() throws Exception {
    AtomicInteger active = new AtomicInteger();
    AtomicInteger maxActive = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    try (DetachedQueue queue = DetachedQueue.open(vertx, dir, 3)) {
      queue.start(c -> {
        maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
        Promise<Void> p = Promise.promise();
        vertx.setTimer(30, t -> {
          active.decrementAndGet();
          done.incrementAndGet();
          p.fail(new ApiError(502, "function failed"));
        });
        return p.future();
      });
      for (int i = 0; i < 12; i++) {
        queue.add(Calls.call(fn, "x")).await();
      }
      waitUntil(() -> queue.depth() == 0);
      assertEquals(12, done.get());
      assertTrue(maxActive.get() <= 3, "at most 3 at once, saw " + maxActive.get());
    }
  }

  @Test
  void aCallRefusedForLackOfCapacityStaysQueuedAndIsRetried() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    try (DetachedQueue queue = DetachedQueue.open(vertx, dir, 1)) {
      queue.start(c -> attempts.incrementAndGet() == 1
          ? Future.failedFuture(new ApiError(503, "no capacity", 1))
          : Future.succeededFuture());
      queue.add(Calls.call(fn, "x")).await();
      waitUntil(() -> queue.depth() == 0);
      assertEquals(2, attempts.get());
    }
  }

  @Test
  void closeLetsARunningCallFinishSoItIsNotRunAgain() throws Exception {
    AtomicInteger finished = new AtomicInteger();
    DetachedQueue queue = DetachedQueue.open(vertx, dir, 1);
    queue.start(c -> {
      Promise<Void> p = Promise.promise();
      vertx.setTimer(300, t -> { finished.incrementAndGet(); p.complete(); });
      return p.future();
    });
    queue.add(Calls.call(fn, "slow")).await();
    waitUntil(() -> queue.depth() == 1);
    Thread.sleep(50);
    queue.close();
    assertEquals(1, finished.get());
    AtomicInteger again = new AtomicInteger();
    try (DetachedQueue reopened = DetachedQueue.open(vertx, dir, 1)) {
      reopened.start(c -> { again.incrementAndGet(); return Future.succeededFuture(); });
      Thread.sleep(200);
      assertEquals(0, again.get());
      assertEquals(0, reopened.depth());
    }
  }
}
