package io.cleave.server;

import io.cleave.common.model.FnNetwork;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes under the remote-fork policy share one seed per function version: the node that
 * starts the function first holds it, the other never makes its own but restores children of it
 * (remote fork through forkd's page servers), and when the holder's seed goes (the function is
 * changed) the next start may claim it anywhere.
 */
@Timeout(180)
class ClusterSeedsTest {
  @TempDir static Path data;
  static List<ServerComposition> nodes;
  static ServerComposition one;
  static ServerComposition two;
  static PlatformClient client1;
  static PlatformClient client2;

  @BeforeAll
  static void start() throws Exception {
    // Both nodes have room for every call: none is forwarded, each runs where it was sent.
    nodes = ClusterNodes.start(data, "seeds-test-secret", new ClusterNodes.Node("node-1", Policy.REMOTE_FORK, 2048),
        new ClusterNodes.Node("node-2", Policy.REMOTE_FORK, 2048));
    one = nodes.get(0);
    two = nodes.get(1);
    client1 = new PlatformClient(one.url());
    client2 = new PlatformClient(two.url());
    assertEquals(2, one.registry().hazelcast().getCluster().getMembers().size(), "the two nodes joined");
  }

  @AfterAll
  static void stop() {
    if (nodes != null) {
      ClusterNodes.stop(nodes);
    }
  }

  @Test
  void oneSeedPerFunctionVersionInTheWholeClusterAndOtherNodesRestoreItsChildren() throws Exception {
    String appId = client1.createApp("seeds");
    String fnId = client1.deploy(appId, "shared", Map.of("memory", 128, "idle_timeout", 60),
        Map.of("func.py", FunctionLifecycleTest.SLEEPY));
    String image = client1.json("GET", "/v2/fns/" + fnId, null).get("image").asText();
    double seeds1 = client1.metric("cleave_seeds");
    double seeds2 = client2.metric("cleave_seeds");

    assertEquals(200, client1.invoke(fnId, "first").statusCode());
    client1.awaitMetric("cleave_seeds", v -> v == seeds1 + 1, "node 1 holds the seed");
    awaitTrue(() -> {
      for (JsonNode m : client2.json("GET", "/cleave/v1/cluster", null).path("members")) {
        if (m.path("node").asText().equals("node-1") && m.path("seeds").asInt() == seeds1 + 1
            && m.path("capacity_mb").asLong() > 0 && m.path("free_mb").asLong() < m.path("capacity_mb").asLong()) {
          return true;
        }
      }
      return false;
    }, "node 2's cluster view shows node 1's load with its seed");
    // Node 2 restores children of node 1's seed once it sees the seed ready and prepared.
    SeedKey key = SeedKey.of(fnId, image, 128, Map.of(), FnNetwork.NONE);
    try (HazelcastSeedDirectory seen = new HazelcastSeedDirectory(two.registry().hazelcast())) {
      awaitTrue(() -> seen.find(key) != null && seen.find(key).ready() && seen.find(key).remote() != null,
          "node 2 sees node 1's seed ready for remote children");
      assertEquals("node-1", seen.find(key).node());
    }
    List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      burst.add(CompletableFuture.supplyAsync(() -> awaitInvocable(client2, fnId, "sleep 0.5")));
    }
    List<String> modes = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> call : burst) {
      HttpResponse<String> r = call.get(60, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("node-2", r.headers().firstValue("Cleave-Node").orElse(""));
      modes.add(ExecutionEndToEndTest.mode(r));
      if (ExecutionEndToEndTest.mode(r).equals("remote-fork")) {
        JsonNode a = client2.json("GET", "/cleave/v1/activations/" + ExecutionEndToEndTest.callId(r), null);
        assertEquals("node-1", a.path("seed_node").asText(), a.toString());
        assertEquals("node-2", a.path("node").asText(), a.toString());
      }
    }
    assertTrue(modes.contains("remote-fork"), "node 2 restored children of node 1's seed: " + modes);
    assertFalse(modes.contains("cold"), "no cold start on node 2 once the cluster has a seed: " + modes);
    assertEquals(seeds2, client2.metric("cleave_seeds"), "node 2 made no seed of its own");

    // /metrics shows it (sampled every few seconds): node 2's remote forks and what they fetched,
    // node 1's page server serving exactly the pages node 2 fetched over the network.
    long remoteForks = modes.stream().filter("remote-fork"::equals).count();
    client2.awaitMetric("cleave_remote_fork_starts_total", v -> v == remoteForks, "node 2 counts its remote forks");
    // The cluster view (the console's forks between nodes) shows them from node 1 to node 2, and no local fork on node 2.
    awaitTrue(() -> {
      for (JsonNode m : client1.json("GET", "/cleave/v1/cluster", null).path("members")) {
        if (m.path("node").asText().equals("node-2")) {
          return m.path("forks_from").path("node-1").asLong() >= remoteForks && !m.path("forks_from").has("node-2");
        }
      }
      return false;
    }, "node 1's cluster view shows node 2's children of node 1's seed");
    // The function's live view on node 2 (the console's) names the seed's node for the children restored there.
    JsonNode activity = client2.json("GET", "/cleave/v1/fns/" + fnId + "/activity", null);
    assertTrue(activity.path("remote_children").path("node-1").asInt() >= 1, activity.toString());
    assertTrue(activity.path("seed").isMissingNode(), "node 2 has no seed of its own: " + activity);
    assertEquals(remoteForks, activity.path("calls").path("remote-fork").asLong(), activity.toString());
    awaitTrue(() -> {
      double fetched = client2.metric("cleave_remote_fork_pages_total{source=\"network\"}");
      return fetched > 0 && fetched == client1.metric("cleave_pageserver_served_pages_total")
          && client2.metric("cleave_remote_fork_network_bytes_total") > fetched * 4096
          && client1.metric("cleave_pageserver_sent_bytes_total") == fetched * 4096;
    }, () -> "node 2 fetched over the network what node 1's page server served: node 2 network pages "
        + client2.metric("cleave_remote_fork_pages_total{source=\"network\"}") + ", bytes "
        + client2.metric("cleave_remote_fork_network_bytes_total") + "; node 1 served pages "
        + client1.metric("cleave_pageserver_served_pages_total") + ", bytes "
        + client1.metric("cleave_pageserver_sent_bytes_total"));
    assertEquals(0, client1.metric("cleave_remote_fork_starts_total"), "node 1 holds the seed: no remote fork there");
    assertEquals(0, client2.metric("cleave_pageserver_served_pages_total"), "node 2's page server served nothing");

    // A changed function retires its seed; the next version's seed goes to whichever node starts it.
    client2.json("PUT", "/v2/fns/" + fnId, Map.of("config", Map.of("V", "2")));
    client1.awaitMetric("cleave_seeds", v -> v == seeds1, "node 1 retired the old version's seed");
    assertEquals(200, awaitInvocable(client2, fnId, "second").statusCode());
    client2.awaitMetric("cleave_seeds", v -> v == seeds2 + 1, "node 2 holds the new version's seed");
    assertEquals(200, client1.invoke(fnId, "third").statusCode());
    assertEquals(seeds1, client1.metric("cleave_seeds"), "node 1 made none for the new version");
  }

  /** A function whose start takes seconds (its import sleeps), so its seed is seen starting for a while. */
  static final String SLOW_START = """
      import time

      time.sleep(4)


      def handler(ctx, data=None):
          return "ok"
      """;

  @Test
  void callsOnAnotherNodeWhileTheSeedStartsWaitForItAndTakeChildrenOfItInsteadOfStartingCold() throws Exception {
    String appId = client1.createApp("seed-wait");
    String fnId = client1.deploy(appId, "slow-start", Map.of("memory", 128, "idle_timeout", 60),
        Map.of("func.py", SLOW_START));
    String image = client1.json("GET", "/v2/fns/" + fnId, null).get("image").asText();
    SeedKey key = SeedKey.of(fnId, image, 128, Map.of(), FnNetwork.NONE);
    double seeds2 = client2.metric("cleave_seeds");

    CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> client1.invoke(fnId, "first"));
    try (HazelcastSeedDirectory seen = new HazelcastSeedDirectory(two.registry().hazelcast())) {
      awaitTrue(() -> seen.find(key) != null, "node 2 sees node 1's claim of the seed");
      assertFalse(seen.find(key).ready(), "the seed still starts (its import sleeps for 4 s)");
    }
    // Without waiting, the first of these would start the function cold on node 2, a second time in
    // the cluster; a later one may find that call's instance free (warm).
    ExecutorService callers = Executors.newFixedThreadPool(2);
    List<String> modes = new ArrayList<>();
    try {
      List<Future<HttpResponse<String>>> burst = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        burst.add(callers.submit(() -> awaitInvocable(client2, fnId, "during")));
      }
      for (Future<HttpResponse<String>> call : burst) {
        HttpResponse<String> r = call.get(90, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("node-2", r.headers().firstValue("Cleave-Node").orElse(""));
        modes.add(ExecutionEndToEndTest.mode(r));
      }
    } finally {
      callers.shutdownNow();
    }
    assertTrue(modes.contains("remote-fork"), "a call waited for node 1's seed and took a child of it: " + modes);
    assertTrue(modes.stream().allMatch(m -> m.equals("remote-fork") || m.equals("warm")), modes.toString());
    assertEquals(200, first.get(90, TimeUnit.SECONDS).statusCode());
    JsonNode activity = client2.json("GET", "/cleave/v1/fns/" + fnId + "/activity", null);
    assertTrue(activity.path("calls").path("cold").isMissingNode(), "no cold start on node 2: " + activity);
    assertEquals(seeds2, client2.metric("cleave_seeds"), "node 2 made no seed of its own");
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    awaitTrue(condition, () -> what);
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> what)
      throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < end, what);
      Thread.sleep(50);
    }
  }

  /** The function is visible to node 2 once the registry's entry event arrived; until then it answers 404. */
  private static HttpResponse<String> awaitInvocable(PlatformClient client, String fnId, String body) {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    HttpResponse<String> r = client.invoke(fnId, body);
    while (r.statusCode() == 404 && System.nanoTime() < end) {
      r = client.invoke(fnId, body);
    }
    return r;
  }


}
