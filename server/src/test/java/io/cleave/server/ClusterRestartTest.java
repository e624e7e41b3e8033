package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each member keeps a copy of the whole registry on its disk: after both members stop, either one
 * alone starts the cluster again with every write, including those whose keys the other owned.
 */
@Timeout(120)
class ClusterRestartTest {
  private static final String SECRET = "cluster-test-secret";
  private final List<Path> dirs = new ArrayList<>();
  private final List<ServerComposition> running = new ArrayList<>();

  @AfterEach
  void clean() throws Exception {
    for (ServerComposition s : running) {
      s.close();
    }
    for (Path d : dirs) {
      TestServers.deleteTree(d);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static int count(Http http) {
    int n = 0;
    String cursor = null;
    do {
      var page = http.get("/v2/apps?per_page=100" + (cursor == null ? "" : "&cursor=" + cursor)).json();
      n += page.path("items").size();
      cursor = page.has("next_cursor") ? page.path("next_cursor").asText() : null;
    } while (cursor != null);
    return n;
  }

  @Test
  void eitherMemberRestartsTheClusterWithEverything() throws Exception {
    int portA = freePort();
    int portB = freePort();
    List<String> members = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB);
    String name = "restart-" + UUID.randomUUID();
    dirs.add(Files.createTempDirectory("cleave-ma"));
    dirs.add(Files.createTempDirectory("cleave-mb"));
    ServerConfig cfgA = TestServers.config(dirs.get(0)).withCluster(name, portA, members).withClusterSecret(SECRET);
    ServerConfig cfgB = TestServers.config(dirs.get(1)).withCluster(name, portB, members).withClusterSecret(SECRET);
    ServerComposition a = TestServers.start(cfgA, null);
    running.add(a);
    ServerComposition b = TestServers.start(cfgB, null);
    running.add(b);
    Http httpA = new Http(a.url());
    Http httpB = new Http(b.url());
    for (int i = 0; i < 40; i++) {
      assertEquals(200, (i % 2 == 0 ? httpA : httpB).post("/v2/apps", "{\"name\":\"app-" + i + "\"}").status());
    }
    String doomed = httpA.get("/v2/apps?name=app-0").json().path("items").get(0).path("id").asText();
    assertEquals(204, httpB.delete("/v2/apps/" + doomed).status());
    Poll.until("both members list the 39 apps", Duration.ofSeconds(15), () -> count(httpA) == 39 && count(httpB) == 39);
    // Each member's disk copy follows other members' writes by entry events, after the answer:
    // stop only once both copies hold exactly the 39 apps and their names.
    Set<String> ids = new HashSet<>();
    for (var item : httpA.get("/v2/apps?per_page=100").json().path("items")) {
      ids.add(item.path("id").asText());
    }
    assertEquals(39, ids.size());
    for (Path dir : dirs) {
      Poll.until("the disk copy in " + dir + " holds the 39 apps", Duration.ofSeconds(15),
          () -> RegistryOnDisk.keys(dir, "apps"), ids::equals);
      Poll.until("the disk copy in " + dir + " holds their 39 names", Duration.ofSeconds(15),
          () -> RegistryOnDisk.keys(dir, "app-names").size(), n -> n == 39);
    }
    a.close();
    b.close();

    ServerComposition bAlone = TestServers.start(cfgB, null);
    running.add(bAlone);
    Http again = new Http(bAlone.url());
    assertEquals(39, count(again), "B alone has every app, whichever member owned it");
    assertEquals(404, again.get("/v2/apps/" + doomed).status(), "a deleted app stays deleted");
    assertEquals(409, again.post("/v2/apps", "{\"name\":\"app-1\"}").status(), "names are still taken");
    assertEquals(200, again.post("/v2/apps", "{\"name\":\"app-0\"}").status(), "the deleted name is free");
  }
}
