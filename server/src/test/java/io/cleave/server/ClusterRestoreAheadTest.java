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
 * The seed's node counts other nodes' restores as uses of the seed: it keeps the seed past
 * --seed-idle while they restore children of it, and reclaims it once they stopped.
 */
@Timeout(180)
class ClusterRestoreAheadTest {
  /** Node 1's --seed-idle: short, so that a seed used only by node 2's restores would go within the test. */
  static final Duration SEED_IDLE = Duration.ofSeconds(8);
  static final String PARKED = "cleave_instances{state=\"parked\"}";
  @TempDir static Path data;
  static List<ServerComposition> nodes;
  static PlatformClient client1;
  static PlatformClient client2;

  @BeforeAll
  static void start() throws Exception {
    nodes = ClusterNodes.start(data, "ahead-test-secret",
        new ClusterNodes.Node("node-1", Policy.REMOTE_FORK, 2048, 0, SEED_IDLE),
        new ClusterNodes.Node("node-2", Policy.REMOTE_FORK, 2048, 1, null));
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
    double seeds = client1.metric("cleave_seeds");
    assertEquals(200, client1.invoke(fnId, "first").statusCode());
    client1.awaitMetric("cleave_seeds", v -> v == seeds + 1, "node 1 holds the seed");
    awaitSeenReady(fnId, 128);
    assertEquals(0, client2.metric(PARKED), "node 2 restores nothing ahead before it runs the function");
    double starts = client2.metric("cleave_remote_fork_starts_total");

    // Node 2's first call restores a child on demand; once it is done, one more is restored and parked.
    HttpResponse<String> first = awaitRemoteFork(fnId);
    assertTrue(activation(first).path("init_ms").asLong() > 0, "restored when the call came: " + activation(first));
    client2.awaitMetric(PARKED, v -> v == 1, "node 2 parks a child of node 1's seed");
    assertEquals(0, client1.metric(PARKED), "node 1 forks on demand (--fork-ahead 0)");

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
    client2.awaitMetric(PARKED, v -> v == 1, "node 2 restores another child ahead once the calls are done");
    client2.awaitMetric("cleave_remote_fork_starts_total", v -> v == starts + 3, "three remote forks on node 2, two ahead");
    deleteAndAwaitNothingParked(fnId);
  }

  /** Deleting the function retires its instances, parked ones too. */
  private static void deleteAndAwaitNothingParked(String fnId) throws InterruptedException {
    assertEquals(204, client1.send("DELETE", "/v2/fns/" + fnId, null, Map.of()).statusCode());
    client2.awaitMetric(PARKED, v -> v == 0, "node 2's parked children go with the function");
  }

  @Test
  void aSeedOnlyOtherNodesRestoreFromIsKeptWhileTheyDo() throws Exception {
    String appId = client1.createApp("kept");
    // Node 2's instance idles out between its calls: each call takes a child restored ahead, and one more is restored.
    String fnId = client1.deploy(appId, "kept", Map.of("memory", 128, "idle_timeout", 1),
        Map.of("func.py", FunctionLifecycleTest.SLEEPY));
    double seeds = client1.metric("cleave_seeds");
    assertEquals(200, client1.invoke(fnId, "first").statusCode());
    client1.awaitMetric("cleave_seeds", v -> v == seeds + 1, "node 1 holds the seed");
    awaitSeenReady(fnId, 128);
    double restores = client2.metric("cleave_remote_fork_starts_total");
    long until = System.nanoTime() + SEED_IDLE.plusSeconds(6).toNanos();
    while (System.nanoTime() < until) {
      HttpResponse<String> r = client2.invoke(fnId, "again");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("node-2", r.headers().firstValue("Cleave-Node").orElse(""));
      Thread.sleep(2000);
    }
    assertTrue(client2.metric("cleave_remote_fork_starts_total") >= restores + 4, "node 2 kept restoring children");
    assertEquals(seeds + 1, client1.metric("cleave_seeds"),
        "node 1 kept the seed past --seed-idle: node 2 restored children of it all along");
    // Once nobody restores from it, it goes after --seed-idle like any unused seed.
    client1.awaitMetric("cleave_seeds", v -> v == seeds, "node 1 reclaims the seed nobody restores from");
    deleteAndAwaitNothingParked(fnId);
  }

  /** Waits until node 2 sees node 1's seed of the function ready for remote children. */
  private static void awaitSeenReady(String fnId, int memoryMb) throws InterruptedException {
    String image = client1.json("GET", "/v2/fns/" + fnId, null).get("image").asText();
    SeedKey key = SeedKey.of(fnId, image, memoryMb, Map.of(), FnNetwork.NONE);
    try (HazelcastSeedDirectory seen = new HazelcastSeedDirectory(nodes.get(1).registry().hazelcast())) {
      long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (seen.find(key) == null || !seen.find(key).ready() || seen.find(key).remote() == null) {
        assertTrue(System.nanoTime() < end, "node 2 sees node 1's seed ready for remote children");
        Thread.sleep(50);
      }
    }
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
