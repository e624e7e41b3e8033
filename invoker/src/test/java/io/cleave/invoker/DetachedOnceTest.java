package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cleave.common.activation.ActivationQuery;
import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.model.Fn;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A detached call runs at most once per call id on a node, however often it is delivered (its
 * queue's retries, a member forwarding it again), and a restart does not run a call again whose
 * run was recorded before its queue entry went. Over the in-memory host; no root needed.
 */
class DetachedOnceTest {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  private InMemoryHost host;
  private NodeInvoker invoker;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void startHost() throws Exception {
    host = new InMemoryHost(vertx, Files.createDirectories(dir.resolve("host")));
  }

  @AfterEach
  void stop() {
    closeInvoker();
    host.close();
    Waits.await(vertx.close());
  }

  private void open(long capacityMb) throws Exception {
    Path node = Files.createDirectories(dir.resolve("node"));
    InvokerSettings settings = new InvokerSettings(node, dir, "test-node", Policy.KEEP_ALIVE, capacityMb,
        Duration.ofMillis(200), Duration.ofMinutes(10), 0, 64 * 1024, Duration.ofDays(1), 10_000, 1L << 30, 2, 1 << 20);
    Path store = dir.resolve("bundles");
    registry = new SimpleMeterRegistry();
    invoker = NodeInvoker.open(vertx, settings, host,
        digest -> Future.succeededFuture(store.resolve(digest.hex() + ".tar.gz")), UnpackLimits.DEFAULT, registry);
  }

  private void closeInvoker() {
    if (invoker != null) {
      Waits.await(invoker.list(new ActivationQuery(null, null, 1)));
      invoker.close();
      invoker = null;
    }
  }

  private Fn fn(int memoryMb) throws Exception {
    String hex = Bundles.write(dir.resolve("bundles"), Map.of("func.py", "# detached\n"));
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    return new Fn("f", "f", "app1", "bundle:sha256:" + hex, memoryMb, 30, 60, 1, Map.of(), Map.of(), t, t);
  }

  @Test
  void aCallDeliveredAgainAfterItRanHereAnswersItsRecordedOutcomeWithoutRunning() throws Exception {
    open(1024);
    Call call = Calls.call(fn(128), "once");
    CallResult first = Waits.await(invoker.runDetached(call));
    assertEquals(200, first.status());
    CallResult again = Waits.await(invoker.runDetached(call));
    assertEquals(1, host.served(call.id()), "the function saw the call once");
    assertEquals(200, again.status(), "the recorded outcome");
    assertEquals("test-node", again.node());
  }

  @Test
  void aCallDeliveredAgainWhileItRunsHereJoinsTheRun() throws Exception {
    open(1024);
    Call call = Calls.call(fn(128), "hold");
    Future<CallResult> first = invoker.runDetached(call);
    Waits.until("the call runs", () -> host.heldCalls() == 1);
    Future<CallResult> again = invoker.runDetached(call);
    Waits.until("both deliveries answered", () -> {
      host.releaseHeld();
      return first.isComplete() && again.isComplete();
    });
    assertEquals(200, Waits.await(first).status());
    assertEquals(200, Waits.await(again).status());
    assertEquals(1, host.served(call.id()), "the second delivery joined the first");
  }

  @Test
  void aCallRefusedForLackOfRoomIsNotTakenForDone() throws Exception {
    open(64);
    Call call = Calls.call(fn(128), "too big here");
    for (int delivery = 1; delivery <= 2; delivery++) {
      ApiError refused = assertInstanceOf(ApiError.class,
          assertThrows(Exception.class, () -> Waits.await(invoker.runDetached(call))));
      assertEquals(503, refused.status(), "delivery " + delivery + " is refused, not answered from a record");
    }
  }

  @Test
  void aQueuedCallWhoseRunWasRecordedIsNotRunAgainAfterARestart() throws Exception {
    Fn f = fn(128);
    Call call = Calls.call(f, "ran before the crash");
    open(1024);
    invoker.resumeDetached(invoker);
    Waits.await(invoker.runDetached(call));
    closeInvoker();
    // What a crash between the recorded run and the queue letting go of the call leaves behind.
    try (DetachedQueue queue = DetachedQueue.open(vertx, dir.resolve("node").resolve("queue"), 1)) {
      Waits.await(queue.add(call));
    }

    open(1024);
    invoker.resumeDetached(invoker);
    Call marker = Calls.call(f, "after the restart");
    Waits.await(invoker.submitDetached(marker));
    Waits.until("the queue is empty and the marker ran", () -> host.served(marker.id()) == 1
        && registry.get("cleave.detached.queue.depth").gauge().value() == 0);
    assertEquals(1, host.served(call.id()), "the recorded call was not run again");
  }
}
