package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.invoker.Policy;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
  // Instances have no network beyond their own loopback: the nodes' invocation counters witness each run.
  static final String ECHO = """
      def handler(ctx, data=None):
          return "done " + data.getvalue().decode()
      """;
  static final String SECRET = "detached-test-" + UUID.randomUUID();

  @TempDir Path data;

  /** Successful runs of the function on the node behind {@code client}. */
  private static double runs(PlatformClient client, String fn) {
    return client.metricSum("cleave_invocations_total", "fn=\"" + fn + "\"", "status=\"success\"");
  }

  @Test
  void detachedCallsAFullNodeAcceptedRunOnceOnTheMemberWithRoom() throws Exception {
    List<ServerComposition> nodes = ClusterNodes.start(data, SECRET,
        new ClusterNodes.Node("node-a", Policy.FORK, 64), new ClusterNodes.Node("node-b", Policy.FORK, 2048));
    try {
      PlatformClient full = new PlatformClient(nodes.get(0).url());
      PlatformClient roomy = new PlatformClient(nodes.get(1).url());
      String app = full.createApp("detached");
      String fn = full.deploy(app, "echo", Map.of("memory", 128), Map.of("func.py", ECHO));
      int calls = 6;
      List<String> callIds = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        HttpResponse<String> r = full.send("POST", "/invoke/" + fn, "t" + i,
            Map.of("Fn-Invoke-Type", "detached", "Content-Type", "text/plain"));
        assertEquals(202, r.statusCode(), r.body());
        callIds.add(ExecutionEndToEndTest.callId(r));
      }

      Poll.until("every call ran", Duration.ofSeconds(90), () -> runs(full, fn) + runs(roomy, fn) >= calls);
      Poll.until("node A's queue is empty", Duration.ofSeconds(30),
          () -> full.metric("cleave_detached_queue_depth") == 0.0);
      Thread.sleep(2000); // a second run of any of them would show by now
      assertEquals(calls, runs(roomy, fn), "each call ran once, on B");
      assertEquals(0, runs(full, fn), "A ran none");
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
      assertEquals(calls, runs(roomy, fn), "delivered again, not run again");
    } finally {
      ClusterNodes.stop(nodes);
    }
  }
}
