package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.bundle.Archives;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.TestInstance;

/** Two members joined by a TCP member list on 127.0.0.1: each sees the other's writes; uniqueness holds across them. */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterTest {
  private static final String SECRET = "cluster-test-secret";
  private final List<Path> dirs = new ArrayList<>();
  private ServerComposition a;
  private ServerComposition b;
  private Http httpA;
  private Http httpB;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @BeforeAll
  void start() throws Exception {
    int portA = freePort();
    int portB = freePort();
    List<String> members = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB);
    String name = "cluster-" + UUID.randomUUID();
    for (int i = 0; i < 2; i++) {
      dirs.add(Files.createTempDirectory("cleave-member"));
    }
    ServerConfig cfgA = TestServers.config(dirs.get(0)).withCluster(name, portA, members).withClusterSecret(SECRET);
    ServerConfig cfgB = TestServers.config(dirs.get(1)).withCluster(name, portB, members).withClusterSecret(SECRET);
    a = TestServers.start(cfgA, null);
    b = TestServers.start(cfgB, null);
    httpA = new Http(a.url());
    httpB = new Http(b.url());
    assertEquals(2, a.registry().hazelcast().getCluster().getMembers().size(), "the two members joined");
  }

  @AfterAll
  void stop() throws Exception {
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
    for (Path d : dirs) {
      TestServers.deleteTree(d);
    }
  }

  /** Waits for another member's view to catch up (entry events travel asynchronously). */
  private static void eventually(String what, BooleanSupplier check) throws InterruptedException {
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (!check.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not seen in time: " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void eachMemberListsBothWithTheirApiUrls() {
    for (Http http : List.of(httpA, httpB)) {
      var body = http.get("/cleave/v1/cluster").json();
      var members = body.path("members");
      assertEquals(2, members.size(), body.toString());
      java.util.Set<String> urls = new java.util.HashSet<>();
      int local = 0;
      for (var m : members) {
        urls.add(m.path("api_url").asText());
        local += m.path("local").asBoolean() ? 1 : 0;
      }
      assertEquals(java.util.Set.of(a.url(), b.url()), urls);
      assertEquals(1, local);
    }
  }

  @Test
  void writesOnOneMemberAreSeenOnTheOther() throws Exception {
    String appId = httpA.post("/v2/apps", "{\"name\":\"shared\",\"config\":{\"k\":\"v\"}}").json().path("id").asText();
    eventually("app on B", () -> httpB.get("/v2/apps/" + appId).status() == 200);
    assertEquals("v", httpB.get("/v2/apps/" + appId).json().path("config").path("k").asText());

    String fnId = httpB.post("/v2/fns", "{\"name\":\"f\",\"app_id\":\"" + appId + "\"}").json().path("id").asText();
    eventually("fn on A", () -> httpA.get("/v2/fns/" + fnId).status() == 200);
    httpA.post("/v2/triggers", "{\"name\":\"t\",\"app_id\":\"" + appId + "\",\"fn_id\":\"" + fnId
        + "\",\"type\":\"http\",\"source\":\"/go\"}");
    eventually("trigger route on B", () -> b.registry().route("shared", "/go").isPresent());
    assertEquals(1, httpB.get("/v2/triggers?app_id=" + appId).json().path("items").size());

    assertEquals(200, httpB.put("/v2/apps/" + appId, "{\"config\":{\"k\":\"w\"}}").status());
    eventually("update on A", () -> "w".equals(httpA.get("/v2/apps/" + appId).json().path("config").path("k").asText()));

    // The name is taken cluster-wide; a second fn of the same name is refused on the other member.
    assertEquals(409, httpA.post("/v2/apps", "{\"name\":\"shared\"}").status());
    assertEquals(409, httpA.post("/v2/fns", "{\"name\":\"f\",\"app_id\":\"" + appId + "\"}").status());

    assertEquals(204, httpA.delete("/v2/apps/" + appId).status());
    eventually("delete on B", () -> httpB.get("/v2/apps/" + appId).status() == 404);
    eventually("fn gone on B", () -> httpB.get("/v2/fns/" + fnId).status() == 404);
  }

  @Test
  void aMemberFetchesABundleItLacksFromTheMemberHoldingIt() throws Exception {
    String appId = httpA.post("/v2/apps", "{\"name\":\"bundles\"}").json().path("id").asText();
    String fnId = httpA.post("/v2/fns", "{\"name\":\"f\",\"app_id\":\"" + appId + "\"}").json().path("id").asText();
    byte[] archive = new Archives().file("func.py", "def handler(ctx, data):\n    return 'from A'\n").bytes();
    Http.Reply up = httpA.send("PUT", "/cleave/v1/fns/" + fnId + "/bundle", archive, java.util.Map.of());
    assertEquals(200, up.status(), up.toString());
    var digest = io.cleave.common.bundle.BundleDigest.fromImage(up.json().path("image").asText()).orElseThrow();
    // B accepts a function naming it: the cluster holds it (A announced it). A bundle no one holds is refused.
    Http.Reply onBFn = httpB.post("/v2/fns", "{\"name\":\"g\",\"app_id\":\"" + appId + "\",\"image\":\""
        + digest.image() + "\"}");
    assertEquals(200, onBFn.status(), onBFn.toString());
    Http.Reply unheld = httpB.post("/v2/fns", "{\"name\":\"h\",\"app_id\":\"" + appId + "\",\"image\":\""
        + new io.cleave.common.bundle.BundleDigest("cd".repeat(32)).image() + "\"}");
    assertEquals(400, unheld.status(), unheld.toString());
    assertTrue(unheld.message().startsWith("Invalid Fn image: bundle sha256:" + "cd".repeat(32) + " is not on this cluster"),
        unheld.toString());
    java.nio.file.Path onB = b.bundles().archive(digest).toCompletionStage().toCompletableFuture()
        .get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(java.util.Arrays.equals(archive, Files.readAllBytes(onB)));
    var missing = new io.cleave.common.bundle.BundleDigest("ab".repeat(32));
    var failed = b.bundles().archive(missing).toCompletionStage().toCompletableFuture();
    var error = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
        () -> failed.get(30, java.util.concurrent.TimeUnit.SECONDS));
    assertTrue(error.getCause() instanceof io.cleave.common.error.ApiError e && e.status() == 404, error.toString());
  }

  @Test
  void aBundleAFunctionUsesIsCopiedToASecondMemberWithoutAnyCall() throws Exception {
    String appId = httpA.post("/v2/apps", "{\"name\":\"replicas\"}").json().path("id").asText();
    String fnId = httpA.post("/v2/fns", "{\"name\":\"f\",\"app_id\":\"" + appId + "\"}").json().path("id").asText();
    byte[] archive = new Archives().file("func.py", "def handler(ctx, data):\n    return 'kept twice'\n").bytes();
    Http.Reply up = httpA.send("PUT", "/cleave/v1/fns/" + fnId + "/bundle", archive, java.util.Map.of());
    assertEquals(200, up.status(), up.toString());
    var digest = io.cleave.common.bundle.BundleDigest.fromImage(up.json().path("image").asText()).orElseThrow();
    // Losing A must not lose the code: B copies it on its own, not only when a call needs it.
    eventually("B holds a copy of the bundle A stored", () -> b.bundles().has(digest));
    assertTrue(java.util.Arrays.equals(archive, Files.readAllBytes(b.bundles().path(digest))));
  }

  @Test
  void concurrentCreatesOnBothMembersKeepOneWinner() throws Exception {
    for (int round = 0; round < 5; round++) {
      String name = "race-" + round;
      int[] status = new int[2];
      CountDownLatch go = new CountDownLatch(1);
      Thread ta = new Thread(() -> {
        await(go);
        status[0] = httpA.post("/v2/apps", "{\"name\":\"" + name + "\"}").status();
      });
      Thread tb = new Thread(() -> {
        await(go);
        status[1] = httpB.post("/v2/apps", "{\"name\":\"" + name + "\"}").status();
      });
      ta.start();
      tb.start();
      go.countDown();
      for (Thread t : List.of(ta, tb)) {
        t.join(60_000);
        assertFalse(t.isAlive(), "a create of " + name + " still runs after 60 s");
      }
      assertTrue((status[0] == 200 && status[1] == 409) || (status[0] == 409 && status[1] == 200),
          "exactly one create of " + name + " wins: " + status[0] + ", " + status[1]);
      eventually("one " + name + " everywhere", () -> httpA.get("/v2/apps?name=" + name).json().path("items").size() == 1
          && httpB.get("/v2/apps?name=" + name).json().path("items").size() == 1);
    }
  }

  private static void await(CountDownLatch l) {
    try {
      if (!l.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new AssertionError("the start signal did not come within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
