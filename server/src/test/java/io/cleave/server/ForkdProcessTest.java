package io.cleave.server;

import io.cleave.invoker.Bundles;
import io.cleave.invoker.Policy;
import io.cleave.invoker.NodeInvoker;
import io.cleave.invoker.InvokerSettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.StartMode;
import io.cleave.forkd.api.ForkdClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** forkd runs as a child process and comes back when it dies; the invoker carries on over the new one. */
@Timeout(120)
class ForkdProcessTest {
  @TempDir Path data;

  @Test
  void aKilledForkdIsStartedAgainAndCallsKeepWorking() throws Exception {
    Path repo = Path.of(System.getProperty("cleave.repo", "..")).toAbsolutePath().normalize();
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    ForkdClient client = new ForkdClient(vertx, ForkdProcess.socketOf(data));
    Path store = data.resolve("bundles");
    String hex = Bundles.write(store, Map.of("func.py", "def handler(ctx, data=None):\n    return 'up'\n"));
    Instant t = Instant.now();
    Fn fn = new Fn("f", "f", "app", "bundle:sha256:" + hex, 128, 10, 60, 1, Map.of(), Map.of(), t, t);
    App app = new App("app", "app", Map.of(), Map.of(), null, t, t);
    InvokerSettings settings = new InvokerSettings(data.resolve("node"), repo, "n", Policy.FORK, 2048,
        Duration.ofSeconds(5), Duration.ofMinutes(10), 0, 4096, Duration.ofDays(1), 1000, 1L << 30, 1, 1 << 20);
    try (ForkdProcess forkd = ForkdProcess.start(data, repo, List.of("-XX:+UseSerialGC", "-Xmx128m"), client);
        NodeInvoker invoker = NodeInvoker.open(vertx, settings, client,
            d -> Future.succeededFuture(store.resolve(d.hex() + ".tar.gz")), UnpackLimits.DEFAULT,
            new SimpleMeterRegistry())) {
      assertEquals("up", call(invoker, fn, app).body().toString());

      long first = forkd.pid();
      ProcessHandle.of(first).orElseThrow().destroyForcibly();
      Poll.until("a new forkd answers after the first was killed", Duration.ofSeconds(60), () -> {
        try {
          return forkd.pid() != first && client.health().await(2, TimeUnit.SECONDS).ok();
        } catch (Exception notYet) {
          return false;
        }
      });
      assertNotEquals(first, forkd.pid());

      CallResult after = call(invoker, fn, app);
      assertEquals("up", after.body().toString(), "the instance and seed of the dead forkd are replaced");
      assertNotEquals(StartMode.WARM, after.startMode());
    } finally {
      client.close();
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static CallResult call(NodeInvoker invoker, Fn fn, App app) throws Exception {
    Call c = new Call(UUID.randomUUID().toString(), app, fn, "POST", "/invoke/f", Map.of(), Buffer.buffer("x"),
        Instant.now());
    CallResult r = invoker.call(c).await(60, TimeUnit.SECONDS);
    assertEquals(200, r.status(), r.body().toString());
    return r;
  }
}
