package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.model.FnNetwork;
import io.cleave.invoker.Policy;
import io.cleave.scheduler.HazelcastSeedDirectory;
import io.cleave.scheduler.SeedKey;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under remote-fork with {@code --fork-ahead}, a node without the seed that ran a function's calls
 * keeps children of the cluster's seed restored ahead: the next call there that finds no idle
 * instance takes one, as a remote fork that waited for no restore, and another is restored after.
 */
@Timeout(180)
class ClusterRestoreAheadTest {
  @TempDir static Path data;
  static List<ServerComposition> nodes;
  static PlatformClient client1;
  static PlatformClient client2;

  @BeforeAll
  static void start() throws Exception {
    nodes = ClusterNodes.start(data, "ahead-test-secret", new ClusterNodes.Node("node-1", Policy.REMOTE_FORK, 2048),
        new ClusterNodes.Node("node-2", Policy.REMOTE_FORK, 2048, 1));
    client1 = new PlatformClient(nodes.get(0).url());
    client2 = new PlatformClient(nodes.get(1).url());
  }

  @AfterAll
  static void stop() {
    if (nodes != null) {
      ClusterNodes.stop(nodes);
    }
  }

  @Test
  void aNodeThatRanCallsKeepsAChildOfTheClustersSeedRestoredAhead() throws Exception {
    String appId = client1.createApp("ahead");
    String fnId = client1.deploy(appId, "ahead", Map.of("memory", 128, "idle_timeout", 60),
        Map.of("func.py", FunctionLifecycleTest.SLEEPY));
    String image = client1.json("GET", "/v2/fns/" + fnId, null).get("image").asText();
    assertEquals(200, client1.invoke(fnId, "first").statusCode());
    client1.awaitMetric("cleave_seeds", v -> v == 1, "node 1 holds the seed");
    SeedKey key = SeedKey.of(fnId, image, 128, Map.of(), FnNetwork.NONE);
    try (HazelcastSeedDirectory seen = new HazelcastSeedDirectory(nodes.get(1).registry().hazelcast())) {
      long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (seen.find(key) == null || !seen.find(key).ready() || seen.find(key).remote() == null) {
        assertTrue(System.nanoTime() < end, "node 2 sees node 1's seed ready for remote children");
        Thread.sleep(50);
      }
    }
    String parked = "cleave_instances{state=\"parked\"}";
    assertEquals(0, client2.metric(parked), "node 2 restores nothing ahead before it runs the function");

    // Node 2's first call restores a child on demand; once it is done, one more is restored and parked.
    HttpResponse<String> first = awaitRemoteFork(fnId);
    assertTrue(activation(first).path("init_ms").asLong() > 0, "restored when the call came: " + activation(first));
    client2.awaitMetric(parked, v -> v == 1, "node 2 parks a child of node 1's seed");
    assertEquals(0, client1.metric(parked), "node 1 forks on demand (--fork-ahead 0)");

    // Two calls at once: one takes the idle instance, the other the parked child, with no start to wait for.
    List<CompletableFuture<HttpResponse<String>>> two = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      two.add(CompletableFuture.supplyAsync(() -> client2.invoke(fnId, "sleep 0.3")));
    }
    List<String> modes = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> call : two) {
      HttpResponse<String> r = call.get(60, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      String mode = ExecutionEndToEndTest.mode(r);
      modes.add(mode);
      if (mode.equals("remote-fork")) {
        JsonNode a = activation(r);
        assertEquals(0, a.path("init_ms").asLong(), "the parked child was restored before the call: " + a);
        assertEquals("node-1", a.path("seed_node").asText(), a.toString());
      }
    }
    assertEquals(List.of("remote-fork", "warm"), modes.stream().sorted().toList());
    client2.awaitMetric(parked, v -> v == 1, "node 2 restores another child ahead once the calls are done");
    client2.awaitMetric("cleave_remote_fork_starts_total", v -> v == 3, "three remote forks on node 2, two ahead");
  }

  private static JsonNode activation(HttpResponse<String> r) {
    return client2.json("GET", "/cleave/v1/activations/" + ExecutionEndToEndTest.callId(r), null);
  }

  /** Node 2's first call, once node 2 sees the function and node 1's seed ready for remote children. */
  private static HttpResponse<String> awaitRemoteFork(String fnId) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      HttpResponse<String> r = client2.invoke(fnId, "one");
      if (r.statusCode() == 200 && ExecutionEndToEndTest.mode(r).equals("remote-fork")) {
        return r;
      }
      assertTrue(r.statusCode() == 404 && System.nanoTime() < end, "node 2's first call: " + r.statusCode() + " "
          + r.headers().firstValue("Cleave-Start-Mode").orElse("") + " " + r.body());
      Thread.sleep(50);
    }
  }
}
