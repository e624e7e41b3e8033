package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.invoker.Policy;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Detached calls are on disk when accepted, and a server stopped with calls queued runs each once after a restart. */
@Timeout(150)
class DetachedRestartTest {
  static final String CALLBACK = """
      import time
      import urllib.request


      def handler(ctx, data=None):
          token = data.getvalue().decode()
          time.sleep(0.8)
          urllib.request.urlopen(ctx.Config()["CALLBACK"] + "?token=" + token, timeout=10).read()
          return "done " + token
      """;

  @TempDir Path data;

  @Test
  void queuedCallsSurviveARestartAndRunOnce() throws Exception {
    Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    HttpServer witness = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    witness.createContext("/hit", ex -> {
      String token = ex.getRequestURI().getQuery().substring("token=".length());
      hits.computeIfAbsent(token, k -> new AtomicInteger()).incrementAndGet();
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    witness.start();
    try {
      ServerConfig config = ServerConfig.defaults(data.resolve("node")).withPort(0)
          .withCluster("detached-" + ProcessHandle.current().pid(), 5851, List.of())
          .withAdminKey(Http.TEST_ADMIN_KEY);
      var factory = NodeExecution.factory(ExecutionEndToEndTest.settings(config.dataDir(), Policy.FORK, 1),
          AppCallLimits.Defaults.STANDARD, List.of("-XX:+UseSerialGC", "-Xmx256m"), ServerProcess.HOST_NETWORK);
      int calls = 5;
      ServerComposition first = ServerComposition.start(config, factory, "test");
      try {
        PlatformClient client = new PlatformClient(first.url());
        String app = client.createApp("detached");
        String fn = client.deploy(app, "callback", Map.of("memory", 128, "config",
            Map.of("CALLBACK", "http://127.0.0.1:" + witness.getAddress().getPort() + "/hit")), Map.of("func.py", CALLBACK));
        for (int i = 0; i < calls; i++) {
          HttpResponse<String> r = client.send("POST", "/invoke/" + fn, "t" + i,
              Map.of("Fn-Invoke-Type", "detached", "Content-Type", "text/plain"));
          assertEquals(202, r.statusCode(), r.body());
        }
        Poll.until("the first detached call ran", Duration.ofSeconds(30), () -> !hits.isEmpty());
      } finally {
        first.close();
      }
      int beforeRestart = hits.size();
      assertTrue(beforeRestart < calls, "calls were still queued when the server stopped: " + hits.keySet());

      ServerComposition second = ServerComposition.start(config, factory, "test");
      try {
        Poll.until("every queued call ran after the restart", Duration.ofSeconds(60), () -> hits.size() == calls);
        // The depth counts calls stored and not finished: at 0 no call is left to run again.
        PlatformClient client = new PlatformClient(second.url());
        Poll.until("the queue is empty", Duration.ofSeconds(60), () -> client.metric("cleave_detached_queue_depth") == 0.0);
        for (int i = 0; i < calls; i++) {
          assertEquals(1, hits.get("t" + i).get(), "t" + i + " ran exactly once; all: " + hits);
        }
      } finally {
        second.close();
      }
    } finally {
      witness.stop(0);
    }
  }
}
