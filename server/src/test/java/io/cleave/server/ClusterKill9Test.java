package io.cleave.server;

import io.cleave.common.http.Http;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members as their own processes. Writes acknowledged by either member of two survive
 * {@code kill -9} of one of them, during a stream of writes to it: the member left serves all of
 * them and takes new ones. A member joining afterwards, from an empty data dir, sees everything
 * written before it joined, the moment it serves, and holds it on its own disk.
 */
@Timeout(180)
class ClusterKill9Test {
  @TempDir Path dir;
  private final List<ServerProcess> servers = new ArrayList<>();
  private final String cluster = "kill9-cluster-" + UUID.randomUUID();

  @AfterEach
  void stop() throws Exception {
    for (ServerProcess s : servers) {
      s.close();
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private ServerProcess member(String name, int clusterPort, String members) throws Exception {
    ServerProcess s = ServerProcess.start(dir.resolve(name), cluster, "--cluster-port", String.valueOf(clusterPort),
        "--members", members, "--cluster-secret", "kill9-secret");
    servers.add(s);
    return s;
  }

  /** The number of members a server reports in its cluster. */
  private static int members(Http http) {
    return http.get("/cleave/v1/cluster").json().path("members").size();
  }

  @Test
  void writesSurviveKill9OfAMemberAndALateMemberSeesThemAll() throws Exception {
    int portA = freePort();
    int portB = freePort();
    int portC = freePort();
    String ab = "127.0.0.1:" + portA + ",127.0.0.1:" + portB;
    ServerProcess a = member("a", portA, ab);
    ServerProcess b = member("b", portB, ab);
    Http httpA = new Http(a.url);
    Http httpB = new Http(b.url);
    Poll.until("A and B formed one cluster", Duration.ofSeconds(30), () -> members(httpA) == 2);

    Map<String, String> acked = new ConcurrentHashMap<>(); // app name -> id
    for (int i = 0; i < 20; i++) {
      Http.Reply r = httpA.post("/v2/apps", "{\"name\":\"a-" + i + "\"}");
      assertEquals(200, r.status(), r.toString());
      acked.put("a-" + i, r.json().path("id").asText());
    }
    // Changes made through B to apps A created: a delete and a config update.
    String deleted = acked.remove("a-0");
    assertEquals(204, httpB.delete("/v2/apps/" + deleted).status());
    assertEquals(200, httpB.put("/v2/apps/" + acked.get("a-1"), "{\"config\":{\"by\":\"b\"}}").status());

    WritesUntilKill writers = new WritesUntilKill();
    writers.start("b", i -> httpB.post("/v2/apps", "{\"name\":\"b-" + i + "\"}"),
        (i, r) -> acked.put("b-" + i, r.json().path("id").asText()));
    Poll.until("B acknowledged 40 apps", Duration.ofSeconds(60),
        () -> acked.size() >= 19 + 40 || writers.failed());
    writers.killing();
    List<ProcessHandle> bStarted = b.kill9();
    writers.assertEndedCleanly();
    Map<String, String> beforeKill = new HashMap<>(acked);

    Poll.until("A sees B gone", Duration.ofSeconds(60), () -> members(httpA) == 1);
    for (var e : beforeKill.entrySet()) {
      Http.Reply r = httpA.get("/v2/apps/" + e.getValue());
      assertEquals(200, r.status(), "acknowledged app " + e.getKey() + " is not on A after B's kill: " + r);
      assertEquals(e.getKey(), r.json().path("name").asText());
    }
    assertEquals(404, httpA.get("/v2/apps/" + deleted).status(), "the delete through B holds");
    assertEquals("b", httpA.get("/v2/apps/" + acked.get("a-1")).json().path("config").path("by").asText());
    assertEquals(409, httpA.post("/v2/apps", "{\"name\":\"b-3\"}").status(), "names B took stay taken");
    Http.Reply after = httpA.post("/v2/apps", "{\"name\":\"after-kill\"}");
    assertEquals(200, after.status(), "A takes writes without B: " + after);
    acked.put("after-kill", after.json().path("id").asText());
    Poll.until("B's forkd and instances end with it", Duration.ofSeconds(30),
        () -> bStarted.stream().noneMatch(ProcessHandle::isAlive));

    // C joins late from an empty data dir: it must serve everything from its first answer.
    ServerProcess c = member("c", portC, "127.0.0.1:" + portA + ",127.0.0.1:" + portC);
    Http httpC = new Http(c.url);
    assertEquals(2, members(httpC), "C joined A");
    for (var e : acked.entrySet()) {
      Http.Reply r = httpC.get("/v2/apps/" + e.getValue());
      assertEquals(200, r.status(), "app " + e.getKey() + " written before C joined is not on C: " + r);
      assertEquals(e.getKey(), r.json().path("name").asText());
    }
    assertEquals(404, httpC.get("/v2/apps/" + deleted).status());
    assertEquals("b", httpC.get("/v2/apps/" + acked.get("a-1")).json().path("config").path("by").asText());
    assertEquals(409, httpC.post("/v2/apps", "{\"name\":\"b-3\"}").status());
    assertEquals(409, httpC.post("/v2/apps", "{\"name\":\"after-kill\"}").status());
    Set<String> onCsDisk = RegistryOnDisk.keys(dir.resolve("c"), "apps");
    assertTrue(onCsDisk.containsAll(acked.values()), "C's own disk copy holds every app (it could restart the cluster)");
    assertFalse(onCsDisk.contains(deleted), "and not the deleted one");
  }
}
