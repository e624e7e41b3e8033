package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.invoker.Policy;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full node forwards a call, once, to the member with room: node A has too little memory for the
 * function, so its gateway forwards to node B over B's internal route (cluster secret), and the
 * client sees B's answer with Fn's translation applied by A. The route refuses callers without
 * the secret.
 */
@Timeout(180)
class CallForwardingTest {
  static final String SECRET = "forwarding-test-" + UUID.randomUUID();
  @TempDir static Path data;
  static List<ServerComposition> nodes;
  static PlatformClient clientSmall;
  static PlatformClient clientRoomy;

  @BeforeAll
  static void start() throws Exception {
    nodes = ClusterNodes.start(data, SECRET, new ClusterNodes.Node("node-a", Policy.FORK, 64),
        new ClusterNodes.Node("node-b", Policy.FORK, 2048));
    clientSmall = new PlatformClient(nodes.get(0).url());
    clientRoomy = new PlatformClient(nodes.get(1).url());
  }

  @AfterAll
  static void stop() {
    if (nodes != null) {
      ClusterNodes.stop(nodes);
    }
  }

  @Test
  void aFullNodeForwardsToTheMemberWithRoomAndTheClientSeesItsAnswer() throws Exception {
    String appId = clientSmall.createApp("fwd");
    String fnId = clientSmall.deploy(appId, "web", Map.of("memory", 128), Map.of("func.py", """
        from fdk import response


        def handler(ctx, data=None):
            body = data.getvalue().decode() if data else ""
            if body == "raise":
                raise ValueError("not today")
            return response.Response(ctx, response_data="got " + body, headers={"X-Made-By": "fn"}, status_code=201)
        """));
    clientSmall.json("POST", "/v2/triggers", Map.of("name", "web", "app_id", appId, "fn_id", fnId, "type", "http",
        "source", "/web"));

    // Node A learns node B's load within a second or two; until then it has no member to send to (503).
    HttpResponse<String> r = awaitForwarded(() -> clientSmall.invoke(fnId, "hello"));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("got hello", r.body());
    assertEquals("node-b", r.headers().firstValue("Cleave-Node").orElse(""));
    assertTrue(r.headers().firstValue("Fn-Call-Id").isPresent());
    JsonNode ran = clientRoomy.json("GET", "/cleave/v1/activations/" + ExecutionEndToEndTest.callId(r), null);
    assertEquals("node-b", ran.path("node").asText(), "node B recorded the call under the client's call id");

    HttpResponse<String> t = clientSmall.send("POST", "/t/fwd/web", "via trigger", Map.of());
    assertEquals(201, t.statusCode(), t.body());
    assertEquals("fn", t.headers().firstValue("X-Made-By").orElse(""), "A translated B's answer for the trigger");
    assertEquals("node-b", t.headers().firstValue("Cleave-Node").orElse(""));

    HttpResponse<String> failed = clientSmall.invoke(fnId, "raise");
    assertEquals(502, failed.statusCode(), failed.body());

    HttpResponse<String> stranger = clientRoomy.send("POST", "/cleave/v1/internal/calls/" + fnId, "sneak", Map.of());
    assertEquals(401, stranger.statusCode(), stranger.body());
    HttpResponse<String> guess = clientRoomy.send("POST", "/cleave/v1/internal/calls/" + fnId, "sneak",
        Map.of("Cleave-Cluster-Secret", "guess"));
    assertEquals(403, guess.statusCode(), guess.body());
  }

  private static HttpResponse<String> awaitForwarded(java.util.function.Supplier<HttpResponse<String>> call)
      throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    HttpResponse<String> r = call.get();
    while (r.statusCode() == 503 && System.nanoTime() < end) {
      Thread.sleep(200);
      r = call.get();
    }
    return r;
  }
}
