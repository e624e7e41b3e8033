package io.cleave.flows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunWriterTest {

  @Test
  void aWriteIsDoneOnlyOnceItAndEveryEarlierWriteAreStored(@TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try (RunStore store = new RunStore(dir)) {
      RunWriter writer = new RunWriter(vertx, store);
      int n = 300;
      ConcurrentLinkedQueue<String> early = new ConcurrentLinkedQueue<>();
      List<Future<Void>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int asked = i;
        // Asked for one after another without waiting, as a run goes on from a call's success.
        all.add(writer.write(RunStore.entry("run", StoredItem.fresh("step", i))).onSuccess(v -> {
          int stored = store.items("run").size();
          if (stored < asked + 1) {
            early.add("write " + asked + " done with only " + stored + " records stored");
          }
        }));
      }
      Future.all(all).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertTrue(early.isEmpty(), String.join("; ", early));
      assertEquals(n, store.items("run").size());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
