package io.cleave.server;

import io.cleave.common.http.Http;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server killed with SIGKILL while a detached call runs: forkd and the instances end with it
 * (they would otherwise hold the data dir and keep the next server from starting forkd), and the
 * restarted server runs that call again (at-least-once), while a call that had finished before
 * the kill is not run again.
 */
@Timeout(150)
class DetachedKill9Test {
  /** Reports each run to the test's witness; a run the witness answers "hold" stays busy until it is killed. */
  static final String WITNESSED = """
      import time
      import urllib.request


      def handler(ctx, data=None):
          token = data.getvalue().decode()
          answer = urllib.request.urlopen(ctx.Config()["WITNESS"] + "?token=" + token, timeout=10).read()
          if answer == b"hold":
              time.sleep(600)
          return "done " + token
      """;

  private static final String DEPTH = "cleave_detached_queue_depth";

  @TempDir Path dir;

  @Test
  void aCallRunningAtKill9RunsAgainAfterRestartAndAFinishedOneDoesNot() throws Exception {
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    HttpServer witness = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    witness.createContext("/ran", ex -> {
      String token = ex.getRequestURI().getQuery().substring("token=".length());
      int run = runs.computeIfAbsent(token, k -> new AtomicInteger()).incrementAndGet();
      byte[] answer = (token.equals("held") && run == 1 ? "hold" : "go").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, answer.length);
      ex.getResponseBody().write(answer);
      ex.close();
    });
    witness.start();
    Path data = dir.resolve("data");
    String cluster = "kill9-detached-" + UUID.randomUUID();
    try {
      String heldCall;
      List<ProcessHandle> started;
      try (ServerProcess server = ServerProcess.startWatched(data, cluster)) {
        PlatformClient client = new PlatformClient(server.url);
        String app = client.createApp("kill9");
        String fn = client.deploy(app, "witnessed", Map.of("memory", 128, "timeout", 120, "config",
            Map.of("WITNESS", "http://127.0.0.1:" + witness.getAddress().getPort() + "/ran")), Map.of("func.py", WITNESSED));

        detached(client, fn, "quick");
        // The depth counts calls stored and not finished: 0 means "quick" ran and left the queue.
        Poll.until("the quick call finished", Duration.ofSeconds(60), () -> client.metric(DEPTH) == 0.0);
        assertEquals(1, runs.get("quick").get());

        heldCall = detached(client, fn, "held");
        Poll.until("the held call is running", Duration.ofSeconds(60), () -> runs.containsKey("held"));
        assertEquals(1.0, client.metric(DEPTH), "the held call is the only one stored");
        started = server.kill9();
      }
      assertFalse(started.isEmpty(), "the server had started forkd");
      Poll.until("forkd and its instances end with the killed server", Duration.ofSeconds(30),
          () -> started.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList(), List::isEmpty);

      try (ServerProcess restarted = ServerProcess.startWatched(data, cluster)) {
        PlatformClient client = new PlatformClient(restarted.url);
        Poll.until("the held call ran again after the restart", Duration.ofSeconds(60),
            () -> runs.get("held").get() == 2);
        // Stored calls are resumed at start; once none is left, nothing else will run.
        Poll.until("the queue is empty", Duration.ofSeconds(60), () -> client.metric(DEPTH) == 0.0);
        assertEquals(2, runs.get("held").get(), "the interrupted call ran once more, not more: " + runs);
        assertEquals(1, runs.get("quick").get(), "a call finished before the kill is not run again: " + runs);
        Http.Reply activation = new Http(restarted.url).get("/cleave/v1/activations/" + heldCall);
        assertEquals(200, activation.status(), activation.toString());
        assertEquals("success", activation.json().path("status").asText(), activation.toString());
      }
    } finally {
      witness.stop(0);
    }
  }

  /** Submits a detached call; returns its call id once the server has acknowledged it (stored). */
  private static String detached(PlatformClient client, String fn, String token) {
    HttpResponse<String> r = client.send("POST", "/invoke/" + fn, token,
        Map.of("Fn-Invoke-Type", "detached", "Content-Type", "text/plain"));
    assertEquals(202, r.statusCode(), r.body());
    return r.headers().firstValue("Fn-Call-Id").orElseThrow();
  }
}
