package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.invoke.Call;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dispatch against the real sdk-python runtime serving Fn's http-stream contract on a unix socket. */
class InstanceClientFdkTest {
  static final String FUNC = """
      import os
      import time

      def handler(ctx, data=None):
          body = data.getvalue().decode()
          if body == "exit":
              os._exit(3)
          if body.startswith("sleep "):
              time.sleep(float(body.split()[1]))
          if body == "raise":
              raise RuntimeError("it broke")
          return "got " + body + " as " + ctx.CallID()
      """;

  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  private InstanceClient client;
  private Process runtime;
  private String listener;

  @BeforeEach
  void start() throws Exception {
    Path repo = Path.of(System.getProperty("cleave.repo", "..")).toAbsolutePath().normalize();
    Files.writeString(dir.resolve("func.py"), FUNC);
    listener = dir.resolve("lsnr.sock").toString();
    ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", "-m", "fdk", dir.resolve("func.py").toString(), "handler")
        .redirectErrorStream(true).redirectOutput(dir.resolve("output").toFile());
    pb.environment().putAll(Map.of("FN_LISTENER", "unix:" + listener, "FN_FORMAT", "http-stream",
        "PYTHONPATH", repo.resolve("sdk-python").toString()));
    runtime = pb.start();
    long end = System.nanoTime() + 20_000_000_000L;
    while (!Files.exists(Path.of(listener))) {
      assertTrue(runtime.isAlive(), "runtime exited: " + Files.readString(dir.resolve("output")));
      assertTrue(System.nanoTime() < end, "runtime did not bind its listener");
      Thread.sleep(10);
    }
    client = new InstanceClient(vertx, 1 << 20);
  }

  @AfterEach
  void stop() {
    runtime.destroyForcibly();
    client.close();
    Waits.await(vertx.close());
  }

  private static Call call(String body) {
    Call c = Calls.call(Calls.fn("f", "bundle:sha256:00"), body);
    return new Call(c.id(), c.app(), c.fn(), c.method(), c.requestUrl(), c.headers(), Buffer.buffer(body), c.receivedAt());
  }

  @Test
  void theRuntimeAnswersCallsOnAKeptAliveConnection() {
    for (int i = 0; i < 20; i++) {
      Call c = call("n" + i);
      var answer = assertInstanceOf(InstanceClient.Answered.class,
          Waits.await(client.dispatch(listener, c, Instant.now().plusSeconds(10))));
      assertEquals(200, answer.status());
      assertEquals("got n" + i + " as " + c.id(), answer.body().toString());
    }
  }

  @Test
  void functionErrorsTimeoutsAndCrashesAreTold() throws Exception {
    var error = assertInstanceOf(InstanceClient.Answered.class,
        Waits.await(client.dispatch(listener, call("raise"), Instant.now().plusSeconds(10))));
    assertEquals(502, error.status());
    // Fn's words to the caller; the exception's text goes to the log only.
    assertTrue(error.body().toString().contains("\"function failed\""), error.body().toString());
    assertTrue(!error.body().toString().contains("it broke"), error.body().toString());

    var late = Waits.await(client.dispatch(listener, call("sleep 3"), Instant.now().plusMillis(500)));
    assertTrue(late instanceof InstanceClient.TimedOut
        || (late instanceof InstanceClient.Answered a && a.status() == 504), late.toString());

    var crash = Waits.await(client.dispatch(listener, call("exit"), Instant.now().plusSeconds(10)));
    assertTrue(assertInstanceOf(InstanceClient.Broken.class, crash).delivered());
    // Once the runtime is gone and the client has seen its connections close, nothing can reach it.
    assertTrue(runtime.waitFor(Waits.LIMIT_SECONDS, TimeUnit.SECONDS), "the runtime exits");
    Waits.until("a call is refused before reaching anyone", () -> Waits.await(
        client.dispatch(listener, call("x"), Instant.now().plusSeconds(10))) instanceof InstanceClient.Broken b
        && !b.delivered());
  }
}
