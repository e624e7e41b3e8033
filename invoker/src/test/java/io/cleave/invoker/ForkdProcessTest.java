package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.forkd.ForkdClient;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** forkd runs as a child process and comes back when it dies. */
class ForkdProcessTest {
  @TempDir Path data;

  @Test
  void aKilledForkdIsStartedAgain() throws Exception {
    Path repo = Path.of(System.getProperty("cleave.repo", "..")).toAbsolutePath().normalize();
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    ForkdClient client = new ForkdClient(vertx, ForkdProcess.socketOf(data));
    try (ForkdProcess forkd = ForkdProcess.start(data, repo, List.of("-XX:+UseSerialGC", "-Xmx128m"), client)) {
      long first = forkd.pid();
      ProcessHandle.of(first).orElseThrow().destroyForcibly();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      boolean back = false;
      while (!back && System.nanoTime() < end) {
        Thread.sleep(200);
        try {
          back = forkd.pid() != first && client.health().await(2, TimeUnit.SECONDS).ok();
        } catch (Exception notYet) {
          back = false;
        }
      }
      assertTrue(back, "forkd answers again after being killed");
      assertNotEquals(first, forkd.pid());
    } finally {
      client.close();
      vertx.close().await();
    }
  }
}
