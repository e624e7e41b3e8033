package io.cleave.forkd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.StartMode;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A flow's fork edge through forkd and the real runtime: a kept instance serves the producer's
 * call, then a child forked from it runs the consumer's function from the consumer's own bundle
 * and reads the very objects the producer kept (same object id, same buffer address).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForkdKeptInstanceTest {
  @RegisterExtension
  final ForkdOnce once = new ForkdOnce("forkd-kept");
  Path producer;
  Path consumer;
  ForkdProcess forkd;

  @BeforeAll
  void startForkd() throws Exception {
    forkd = once.start(Map.of("CLEAVE_FORKD_POOL", "1"));
    producer = once.bundle("producer", "/kept/producer.py", "func.py");
    consumer = once.bundle("consumer", "/kept/consumer.py", "func.py");
  }

  private StartedInstance start(StartRequest r) throws Exception {
    return forkd.await(forkd.client.start(r));
  }

  @Test
  void aChildOfAKeptInstanceRunsTheConsumerOnTheProducersObjects() throws Exception {
    StartedInstance kept = start(StartRequest.kept("producer", "app1", producer.toString(), 128,
        ForkdProcess.command("func.py"), ForkdProcess.env(Map.of())));
    try {
      JsonObject produced = forkd.call(kept.listener(), "producer input");
      for (int n = 0; n < 2; n++) {
        StartedInstance child = start(StartRequest.forkOfKept(kept.instanceId(), "consumer", "app1",
            consumer.toString(), 128, ForkdProcess.command("func.py"), ForkdProcess.env(Map.of()), null));
        assertEquals(StartMode.FORK, child.startMode());
        JsonObject seen = forkd.call(child.listener(), "consumer input");
        assertEquals(produced.getLong("marker_id"), seen.getLong("marker_id"), "the very object");
        assertEquals(produced.getLong("block_address"), seen.getLong("block_address"), "the very buffer");
        assertTrue(seen.getBoolean("mutated"));
        assertEquals("kept!", seen.getString("block_head"));
        assertEquals("consumer input", seen.getString("input"));
        forkd.await(forkd.client.delete(child.instanceId()));
      }
    } finally {
      forkd.await(forkd.client.delete(kept.instanceId()));
    }
  }

  @Test
  void aChildOrderedBeforeTheProducersCallIsForkedOnceTheInstanceAnsweredIt() throws Exception {
    StartedInstance kept = start(StartRequest.kept("producer", "app1", producer.toString(), 128,
        ForkdProcess.command("func.py"), ForkdProcess.env(Map.of())));
    try {
      Future<StartedInstance> ordered = forkd.client.start(StartRequest.forkOfKept(kept.instanceId(), "consumer",
          "app1", consumer.toString(), 128, ForkdProcess.command("func.py"), ForkdProcess.env(Map.of()),
          new StartRequest.ForkAfter("call-1", 60)));
      Thread.sleep(1000);
      assertFalse(ordered.isComplete(), "no child before the call it follows was answered: " + ordered);
      JsonObject produced = forkd.call(kept.listener(), "producer input"); // Fn-Call-Id call-1
      StartedInstance child = forkd.await(ordered);
      JsonObject seen = forkd.call(child.listener(), "consumer input");
      assertEquals(produced.getLong("marker_id"), seen.getLong("marker_id"), "the very object, kept by that call");
      assertEquals(produced.getLong("block_address"), seen.getLong("block_address"), "the very buffer");
      assertEquals("kept!", seen.getString("block_head"));
      forkd.await(forkd.client.delete(child.instanceId()));
      // Ordered after the call was answered: forked at once.
      StartedInstance later = start(StartRequest.forkOfKept(kept.instanceId(), "consumer", "app1",
          consumer.toString(), 128, ForkdProcess.command("func.py"), ForkdProcess.env(Map.of()),
          new StartRequest.ForkAfter("call-1", 60)));
      assertEquals(produced.getLong("marker_id"), forkd.call(later.listener(), "again").getLong("marker_id"));
      forkd.await(forkd.client.delete(later.instanceId()));
    } finally {
      forkd.await(forkd.client.delete(kept.instanceId()));
    }
  }

  @Test
  void anOrderThatWaitedThroughAnotherCallsAnswerIsRefusedAndTheInstanceStillForks() throws Exception {
    StartedInstance kept = start(StartRequest.kept("producer", "app1", producer.toString(), 128,
        ForkdProcess.command("func.py"), ForkdProcess.env(Map.of())));
    try {
      Future<StartedInstance> stale = forkd.client.start(StartRequest.forkOfKept(kept.instanceId(), "consumer",
          "app1", consumer.toString(), 128, ForkdProcess.command("func.py"), ForkdProcess.env(Map.of()),
          new StartRequest.ForkAfter("call-0", 60)));
      Thread.sleep(1000);
      JsonObject produced = forkd.call(kept.listener(), "producer input"); // call-1, not call-0
      ApiError refused = (ApiError) assertThrows(ExecutionException.class, () -> forkd.await(stale)).getCause();
      assertEquals(502, refused.status(), refused.getMessage());
      assertTrue(refused.getMessage().contains("call-0"), refused.getMessage());
      StartedInstance child = start(StartRequest.forkOfKept(kept.instanceId(), "consumer", "app1",
          consumer.toString(), 128, ForkdProcess.command("func.py"), ForkdProcess.env(Map.of()),
          new StartRequest.ForkAfter("call-1", 60)));
      assertEquals(produced.getLong("marker_id"), forkd.call(child.listener(), "after").getLong("marker_id"));
      forkd.await(forkd.client.delete(child.instanceId()));
    } finally {
      forkd.await(forkd.client.delete(kept.instanceId()));
    }
  }
}
