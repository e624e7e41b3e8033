package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.error.ApiError;
import io.cleave.common.error.CallNotDelivered;
import io.cleave.common.invoke.Call;
import io.cleave.common.model.Fn;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
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
    Waits.await(vertx.close());
  }

  @Test
  void callsQueuedBeforeARestartRunOnceAfterItWithTheirContent() throws Exception {
    List<Call> sent = new ArrayList<>();
    try (DetachedQueue queue = DetachedQueue.open(vertx, dir, 2)) {
      for (int i = 0; i < 5; i++) {
        Call c = Calls.call(fn, "body " + i);
        sent.add(c);
        Waits.await(queue.add(c));
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
      Waits.until("the 5 stored calls ran", () -> queue.depth() == 0 && runs.size() == 5);
    }
    try (DetachedQueue queue = DetachedQueue.open(vertx, dir, 2)) {
      queue.start(c -> {
        runs.computeIfAbsent(c.id(), k -> new AtomicInteger()).incrementAndGet();
        return Future.succeededFuture();
      });
      // A call added now runs after anything still stored: once it has run, nothing old is left.
      Call marker = Calls.call(fn, "marker");
      Waits.await(queue.add(marker));
      Waits.until("the marker ran", () -> queue.depth() == 0 && runs.containsKey(marker.id()));
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
        Waits.await(queue.add(Calls.call(fn, "x")));
      }
      Waits.until("the queue drained", () -> queue.depth() == 0);
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
      Waits.await(queue.add(Calls.call(fn, "x")));
      Waits.until("the queue drained", () -> queue.depth() == 0);
      assertEquals(2, attempts.get());
    }
  }

  @Test
  void aCallForwardedToAMemberThatDiedWithItStaysQueuedAndIsDeliveredAgain() throws Exception {
    List<String> attempts = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (DetachedQueue queue = DetachedQueue.open(vertx, dir, 1)) {
      queue.start(c -> {
        attempts.add(c.id());
        return attempts.size() == 1
            ? Future.failedFuture(new CallNotDelivered(502, "forwarding the call to http://b failed: Connection reset"))
            : Future.succeededFuture();
      });
      Call call = Calls.call(fn, "x");
      Waits.await(queue.add(call));
      Waits.until("the queue drained", () -> queue.depth() == 0);
      assertEquals(List.of(call.id(), call.id()), attempts, "delivered again, with its call id");
    }
  }

  @Test
  void closeLetsARunningCallFinishSoItIsNotRunAgain() throws Exception {
    AtomicInteger started = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    DetachedQueue queue = DetachedQueue.open(vertx, dir, 1);
    queue.start(c -> {
      started.incrementAndGet();
      Promise<Void> p = Promise.promise();
      vertx.setTimer(300, t -> { finished.incrementAndGet(); p.complete(); });
      return p.future();
    });
    Waits.await(queue.add(Calls.call(fn, "slow")));
    Waits.until("the call is running", () -> started.get() == 1);
    queue.close();
    assertEquals(1, finished.get());
    AtomicInteger again = new AtomicInteger();
    try (DetachedQueue reopened = DetachedQueue.open(vertx, dir, 1)) {
      reopened.start(c -> { again.incrementAndGet(); return Future.succeededFuture(); });
      Waits.await(reopened.add(Calls.call(fn, "marker")));
      Waits.until("the marker ran", () -> reopened.depth() == 0 && again.get() >= 1);
      assertEquals(1, again.get(), "only the marker ran: the finished call was not stored any more");
    }
  }

  /** A call as the queue stored it before Call and its stored form were one type (body as base64). */
  private static final String STORED_BEFORE = """
      {"id":"01JCALLSTOREDBEFORE0000000","app":{"id":"app1","name":"demo","config":{"SHARED":"app"},\
      "annotations":{},"syslogUrl":null,"shape":null,"createdAt":"2025-01-01T00:00:00Z",\
      "updatedAt":"2025-01-01T00:00:00Z"},"fn":{"id":"f1","name":"f1-name","appId":"app1",\
      "image":"bundle:sha256:00","memory":128,"timeout":30,"idleTimeout":30,"concurrency":1,\
      "config":{"K":"v"},"annotations":{},"createdAt":"2025-01-01T00:00:00Z",\
      "updatedAt":"2025-01-01T00:00:00Z"},"method":"POST","requestUrl":"http://localhost/invoke/f1",\
      "headers":{"X-Extra":["a","b"]},"body":"c3RvcmVkIGJvZHkgw6kK","receivedAt":"2025-03-04T05:06:07.123456Z"}""";

  @Test
  void aCallStoredByAnEarlierVersionRunsWithItsContent() throws Exception {
    try (org.rocksdb.Options options = new org.rocksdb.Options().setCreateIfMissing(true);
        org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(options, dir.toString())) {
      byte[] id = "01JCALLSTOREDBEFORE0000000".getBytes(StandardCharsets.UTF_8);
      db.put(java.nio.ByteBuffer.allocate(8 + id.length).putLong(7).put(id).array(),
          STORED_BEFORE.getBytes(StandardCharsets.UTF_8));
    }
    List<Call> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (DetachedQueue queue = DetachedQueue.open(vertx, dir, 1)) {
      queue.start(c -> {
        ran.add(c);
        return Future.succeededFuture();
      });
      Waits.await(queue.add(Calls.call(fn, "after")));
      Waits.until("the stored call and a new one ran", () -> queue.depth() == 0 && ran.size() == 2);
    }
    Call old = ran.get(0);
    assertEquals("01JCALLSTOREDBEFORE0000000", old.id());
    assertEquals("stored body \u00e9\n", old.body().toString(StandardCharsets.UTF_8));
    assertEquals(List.of("a", "b"), old.headers().get("X-Extra"));
    assertEquals("f1", old.fn().id());
    assertEquals(Map.of("SHARED", "app"), old.app().config());
    assertEquals("http://localhost/invoke/f1", old.requestUrl());
    assertEquals(java.time.Instant.parse("2025-03-04T05:06:07.123456Z"), old.receivedAt());
    assertEquals("after", ran.get(1).body().toString(), "new calls queue behind the stored one");
  }
}
