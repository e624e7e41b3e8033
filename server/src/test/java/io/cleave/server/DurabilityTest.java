package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.http.Http;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every acknowledged write survives {@code kill -9} of the server during a stream of writes, and a
 * SIGTERM stops the server cleanly with its data intact.
 */
@Timeout(180)
class DurabilityTest {
  private Path data;
  private final String cluster = "durability-" + UUID.randomUUID();

  @BeforeEach
  void dir() throws Exception {
    data = Files.createTempDirectory("cleave-dur");
  }

  @AfterEach
  void clean() throws Exception {
    TestServers.deleteTree(data);
  }

  @Test
  void acknowledgedWritesSurviveKill9() throws Exception {
    Map<String, String> ackedApps = new ConcurrentHashMap<>(); // name -> id
    Map<String, String> ackedFns = new ConcurrentHashMap<>(); // fn name -> id
    AtomicInteger ackedConfig = new AtomicInteger(-1);
    AtomicInteger attemptedConfig = new AtomicInteger(-1);
    String parentId;
    try (ServerProcess server = ServerProcess.start(data, cluster)) {
      Http http = new Http(server.url);
      parentId = http.post("/v2/apps", "{\"name\":\"parent\"}").json().path("id").asText();
      WritesUntilKill writers = new WritesUntilKill();
      writers.start("apps", i -> http.post("/v2/apps", "{\"name\":\"app-" + i + "\"}"),
          (i, r) -> ackedApps.put("app-" + i, r.json().path("id").asText()));
      writers.start("fns", i -> http.post("/v2/fns", "{\"name\":\"fn-" + i + "\",\"app_id\":\"" + parentId + "\"}"),
          (i, r) -> ackedFns.put("fn-" + i, r.json().path("id").asText()));
      writers.start("config", i -> {
        attemptedConfig.set(i);
        return http.put("/v2/apps/" + parentId, "{\"config\":{\"counter\":\"" + i + "\"}}");
      }, (i, r) -> ackedConfig.set(i));
      Poll.until("150 apps and fns acknowledged", Duration.ofSeconds(60),
          () -> ackedApps.size() + ackedFns.size() >= 150 || writers.failed());
      writers.killing();
      server.kill9();
      writers.assertEndedCleanly();
    }
    assertTrue(ackedApps.size() > 10 && ackedFns.size() > 10, "writes were acknowledged before the kill");

    try (ServerProcess restarted = ServerProcess.start(data, cluster)) {
      Http http = new Http(restarted.url);
      for (var e : ackedApps.entrySet()) {
        Http.Reply r = http.get("/v2/apps/" + e.getValue());
        assertEquals(200, r.status(), "acknowledged app " + e.getKey() + " lost: " + r);
        assertEquals(e.getKey(), r.json().path("name").asText());
        assertEquals(409, http.post("/v2/apps", "{\"name\":\"" + e.getKey() + "\"}").status(),
            "the name of " + e.getKey() + " is still taken");
      }
      for (var e : ackedFns.entrySet()) {
        Http.Reply r = http.get("/v2/fns/" + e.getValue());
        assertEquals(200, r.status(), "acknowledged fn " + e.getKey() + " lost: " + r);
      }
      int counter = Integer.parseInt(http.get("/v2/apps/" + parentId).json().path("config").path("counter").asText("-1"));
      assertTrue(counter >= ackedConfig.get() && counter <= attemptedConfig.get(),
          "config counter " + counter + " between acknowledged " + ackedConfig.get() + " and attempted "
              + attemptedConfig.get());

      // Nothing half-written: names unique, every listed app readable, listing complete.
      Set<String> names = new HashSet<>();
      String cursor = null;
      do {
        JsonNode page = http.get("/v2/apps?per_page=100" + (cursor == null ? "" : "&cursor=" + cursor)).json();
        for (JsonNode a : page.path("items")) {
          assertTrue(names.add(a.path("name").asText()), "duplicate " + a);
          assertEquals(200, http.get("/v2/apps/" + a.path("id").asText()).status());
        }
        cursor = page.has("next_cursor") ? page.path("next_cursor").asText() : null;
      } while (cursor != null);
      assertTrue(names.containsAll(ackedApps.keySet()));
      JsonNode fns = http.get("/v2/fns?app_id=" + parentId + "&per_page=100").json();
      assertFalse(fns.path("items").isEmpty());
      // The registry keeps working after recovery.
      assertEquals(200, http.post("/v2/apps", "{\"name\":\"after-restart\"}").status());
    }
  }

  @Test
  void sigtermStopsCleanlyAndKeepsData() throws Exception {
    String id;
    Files.createDirectories(data);
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (ServerProcess server = ServerProcess.start(data, cluster)) {
      // Secrets (function config, keys) are in there: other users must not even list it.
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
      assertEquals("cleave: listening on " + server.url + " (data: " + data.toAbsolutePath().normalize() + ")\n",
          server.startOutput, "one line on start, nothing from Hazelcast");
      id = new Http(server.url).post("/v2/apps", "{\"name\":\"kept\"}").json().path("id").asText();
      server.process.destroy(); // SIGTERM
      assertTrue(server.process.waitFor(30, TimeUnit.SECONDS), "server stopped on SIGTERM");
    }
    try (ServerProcess again = ServerProcess.start(data, cluster)) {
      assertEquals("kept", new Http(again.url).get("/v2/apps/" + id).json().path("name").asText());
    }
  }
}
