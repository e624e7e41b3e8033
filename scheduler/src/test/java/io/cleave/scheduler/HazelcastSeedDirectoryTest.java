package io.cleave.scheduler;

import io.cleave.common.model.FnNetwork;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two real Hazelcast members sharing the seed directory, as two nodes of a cluster do. */
@Timeout(120)
class HazelcastSeedDirectoryTest {
  private HazelcastInstance hz1;
  private HazelcastInstance hz2;
  private HazelcastSeedDirectory node1;
  private HazelcastSeedDirectory node2;

  @BeforeEach
  void start() {
    String cluster = "seeds-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    hz1 = Hazelcast.newHazelcastInstance(config(cluster, 5931));
    hz2 = Hazelcast.newHazelcastInstance(config(cluster, 5931));
    node1 = new HazelcastSeedDirectory(hz1);
    node2 = new HazelcastSeedDirectory(hz2);
    assertEquals(2, hz1.getCluster().getMembers().size(), "both members joined");
  }

  private static Config config(String cluster, int port) {
    Config c = new Config().setClusterName(cluster);
    c.setProperty("hazelcast.logging.type", "jdk");
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.getNetworkConfig().setPort(port).setPortAutoIncrement(true).setPortCount(20);
    c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    c.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
    var tcp = c.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true);
    for (int p = port; p < port + 20; p++) {
      tcp.addMember("127.0.0.1:" + p);
    }
    return c;
  }

  @AfterEach
  void stop() {
    node1.close();
    node2.close();
    hz2.shutdown();
    hz1.shutdown();
  }

  @Test
  void twoNodesRacingForTheSameSeedsKeepOneEach() throws Exception {
    List<CompletableFuture<SeedRecord>> a = new ArrayList<>();
    List<CompletableFuture<SeedRecord>> b = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      SeedKey key = SeedKey.of("fn" + i, "cleave/bundle:sha256-" + i, 128, Map.of(), FnNetwork.NONE);
      a.add(node1.claim(key, "node-1").toCompletableFuture());
      b.add(node2.claim(key, "node-2").toCompletableFuture());
    }
    for (int i = 0; i < 40; i++) {
      SeedRecord lostTo1 = a.get(i).get(30, TimeUnit.SECONDS);
      SeedRecord lostTo2 = b.get(i).get(30, TimeUnit.SECONDS);
      assertTrue((lostTo1 == null) != (lostTo2 == null), "exactly one claim of fn" + i + " wins");
      SeedRecord holder = lostTo1 == null ? lostTo2 : lostTo1;
      assertEquals(lostTo1 == null ? "node-1" : "node-2", holder.node(), "the loser learns the winner");
    }
  }

  @Test
  void aReadySeedIsSeenByTheOtherNodeAndGoesWhenReleasedOrItsMemberLeaves() throws Exception {
    SeedKey key = SeedKey.of("fn", "cleave/bundle:sha256-1", 128, Map.of("A", "1"), FnNetwork.NONE);
    assertNull(node1.claim(key, "node-1").toCompletableFuture().get(30, TimeUnit.SECONDS));
    node2.ready(key, "node-2", new RemoteSeed("10.9.9.9:1", 1, "00")).toCompletableFuture().get(30, TimeUnit.SECONDS);
    node1.ready(key, "node-1", new RemoteSeed("10.1.0.1:7070", 3, "ab")).toCompletableFuture().get(30, TimeUnit.SECONDS);
    await(() -> node2.find(key) != null && node2.find(key).ready(), "node 2 sees the ready seed");
    assertEquals(new RemoteSeed("10.1.0.1:7070", 3, "ab"), node2.find(key).remote(), "only the holder marks it ready");

    node2.release(key, "node-2").toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertNotNull(node1.find(key), "a node that does not hold the seed cannot release it");
    node1.release(key, "node-1").toCompletableFuture().get(30, TimeUnit.SECONDS);
    await(() -> node2.find(key) == null, "a released seed is gone everywhere");

    assertNull(node1.claim(key, "node-1").toCompletableFuture().get(30, TimeUnit.SECONDS));
    await(() -> node2.find(key) != null, "node 2 sees the new claim");
    hz1.getLifecycleService().terminate();
    await(() -> node2.find(key) == null, "the seeds of a member that left are dropped");
    assertNull(node2.claim(key, "node-2").toCompletableFuture().get(30, TimeUnit.SECONDS),
        "and another node may claim the seed");
  }

  @Test
  void aWatcherLearnsOfEachChangeToAnotherNodesSeedAfterItsCopyShowsIt() throws Exception {
    SeedKey key = SeedKey.of("watched", "cleave/bundle:sha256-2", 128, Map.of(), FnNetwork.NONE);
    List<String> seen2 = new CopyOnWriteArrayList<>();
    List<String> seen1 = new CopyOnWriteArrayList<>();
    node2.watch(fnId -> {
      SeedRecord now = node2.find(key);
      seen2.add(fnId + ":" + (now == null ? "gone" : now.ready() ? "ready" : "starting"));
    });
    node1.watch(seen1::add);

    assertNull(node1.claim(key, "node-1").toCompletableFuture().get(30, TimeUnit.SECONDS));
    await(() -> seen2.contains("watched:starting"), "node 2 hears of node 1's claim, and finds it starting");
    node1.ready(key, "node-1", new RemoteSeed("10.1.0.1:7070", 3, "ab")).toCompletableFuture().get(30, TimeUnit.SECONDS);
    await(() -> seen2.contains("watched:ready"), "node 2 hears that the seed is ready, and finds it so");
    node1.release(key, "node-1").toCompletableFuture().get(30, TimeUnit.SECONDS);
    await(() -> seen2.contains("watched:gone"), "node 2 hears that the seed went, and finds it gone");
    assertEquals(List.of("watched:starting", "watched:ready", "watched:gone"), seen2);
    assertTrue(seen1.isEmpty(), "a node is not told of its own records: " + seen1);
  }

  @Test
  void versionsDifferWhenWhatInstancesAreMadeFromDiffers() {
    SeedKey base = SeedKey.of("fn", "img", 128, Map.of("A", "1", "B", "2"), FnNetwork.NONE);
    assertEquals(base, SeedKey.of("fn", "img", 128, Map.of("B", "2", "A", "1"), FnNetwork.NONE),
        "config order does not matter");
    assertTrue(!base.equals(SeedKey.of("fn", "img", 128, Map.of("A", "1", "B", "2"), FnNetwork.OUTBOUND)),
        "an outbound version is another version");
    assertTrue(!base.equals(SeedKey.of("fn", "img", 256, Map.of("A", "1", "B", "2"), FnNetwork.NONE)));
    assertTrue(!base.equals(SeedKey.of("fn", "img2", 128, Map.of("A", "1", "B", "2"), FnNetwork.NONE)));
    assertTrue(!base.equals(SeedKey.of("fn", "img", 128, Map.of("A", "1"), FnNetwork.NONE)));
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < end, what);
      Thread.sleep(20);
    }
  }
}
