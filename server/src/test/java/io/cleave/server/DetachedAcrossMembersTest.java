package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.cleave.invoker.Policy;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detached calls accepted by a node with no room for the function run on the member that has room,
 * each exactly once: node A (64 MB for instances) queues them, its queue forwards each to node B,
 * which records it under the call's id; a call delivered to B again is answered from that record.
 */
@Timeout(180)
class DetachedAcrossMembersTest {
  static final String CALLBACK = """
      import urllib.request


      def handler(ctx, data=None):
          token = data.getvalue().decode()
          urllib.request.urlopen(ctx.Config()["CALLBACK"] + "?token=" + token, timeout=10).read()
          return "done " + token
      """;
  static final String SECRET = "detached-test-" + UUID.randomUUID();

  @TempDir Path data;

  @Test
  void detachedCallsAFullNodeAcceptedRunOnceOnTheMemberWithRoom() throws Exception {
    Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    HttpServer witness = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    witness.createContext("/hit", ex -> {
      String token = ex.getRequestURI().getQuery().substring("token=".length());
      hits.computeIfAbsent(token, k -> new AtomicInteger()).incrementAndGet();
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    witness.start();
    List<ServerComposition> nodes = ClusterNodes.start(data, SECRET,
        new ClusterNodes.Node("node-a", Policy.FORK, 64), new ClusterNodes.Node("node-b", Policy.FORK, 2048));
    try {
      PlatformClient full = new PlatformClient(nodes.get(0).url());
      PlatformClient roomy = new PlatformClient(nodes.get(1).url());
      String app = full.createApp("detached");
      String fn = full.deploy(app, "callback", Map.of("memory", 128, "config",
          Map.of("CALLBACK", "http://127.0.0.1:" + witness.getAddress().getPort() + "/hit")), Map.of("func.py", CALLBACK));
      int calls = 6;
      List<String> callIds = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        HttpResponse<String> r = full.send("POST", "/invoke/" + fn, "t" + i,
            Map.of("Fn-Invoke-Type", "detached", "Content-Type", "text/plain"));
        assertEquals(202, r.statusCode(), r.body());
        callIds.add(ExecutionEndToEndTest.callId(r));
      }

      Poll.until("every call ran", Duration.ofSeconds(90), () -> hits.size() == calls);
      Poll.until("node A's queue is empty", Duration.ofSeconds(30),
          () -> full.metric("cleave_detached_queue_depth") == 0.0);
      for (int i = 0; i < calls; i++) {
        assertEquals(1, hits.get("t" + i).get(), "t" + i + " ran exactly once; all: " + hits);
      }
      for (String id : callIds) {
        JsonNode ran = roomy.json("GET", "/cleave/v1/activations/" + id, null);
        assertEquals("node-b", ran.path("node").asText(), "B recorded the call under its id: " + ran);
        assertEquals("success", ran.path("status").asText(), ran.toString());
      }
      for (JsonNode a : full.json("GET", "/cleave/v1/activations?fn_id=" + fn + "&limit=100", null).get("items")) {
        assertEquals("rejected", a.path("status").asText(), "A ran nothing, it only had no room: " + a);
      }

      // A member delivering a call again (its forward broke after B ran it) gets B's record, not a second run.
      HttpResponse<String> again = roomy.send("POST", "/cleave/v1/internal/calls/" + fn, "t0", Map.of(
          "Cleave-Cluster-Secret", SECRET, "Cleave-Call-Id", callIds.get(0), "Cleave-Detached", "true",
          "Content-Type", "text/plain"));
      assertEquals(200, again.statusCode(), again.body());
      assertEquals("answer", again.headers().firstValue("Cleave-Outcome").orElse(""));
      assertEquals("node-b", again.headers().firstValue("Cleave-Node").orElse(""));
      assertEquals(1, hits.get("t0").get(), "delivered again, not run again");
    } finally {
      ClusterNodes.stop(nodes);
      witness.stop(0);
    }
  }
}
