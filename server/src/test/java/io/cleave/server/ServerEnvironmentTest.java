package io.cleave.server;

import io.cleave.common.http.Http;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cleave server} takes each flag from its {@code CLEAVE_*} environment variable when the
 * flag is not given (README "Configuration"), a flag given beats its variable, and a bad value in the
 * environment stops the server at once the way a bad flag does.
 */
@Timeout(120)
class ServerEnvironmentTest {
  @TempDir Path dir;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A JSON app body of about {@code size} bytes. */
  private static String appOfSize(String name, int size) {
    return "{\"name\":\"" + name + "\",\"config\":{\"pad\":\"" + "x".repeat(size) + "\"}}";
  }

  @Test
  void withoutFlagsTheServerIsConfiguredByItsEnvironment() throws Exception {
    int port = freePort();
    Path data = dir.resolve("env-data");
    Map<String, String> env = Map.of(
        "CLEAVE_PORT", String.valueOf(port),
        "CLEAVE_DATA_DIR", data.toString(),
        "CLEAVE_CLUSTER_NAME", "env-" + UUID.randomUUID(),
        "CLEAVE_HTTP_INSTANCES", "1",
        "CLEAVE_MAX_API_BODY", "2k",
        "CLEAVE_POLICY", "cold-only",
        "CLEAVE_NODE_NAME", "env-node");
    try (ServerProcess server = ServerProcess.start(List.of(), env)) {
      assertEquals("cleave: listening on http://127.0.0.1:" + port + " (data: " + data + ")\n", server.startOutput);
      assertTrue(Files.isDirectory(data.resolve("registry")), "the registry is in CLEAVE_DATA_DIR");

      Http http = new Http(server.url);
      Http.Reply big = http.post("/v2/apps", appOfSize("big", 3000));
      assertEquals(413, big.status(), big.toString());
      assertTrue(big.message().endsWith("> max 2048"), "CLEAVE_MAX_API_BODY=2k is the limit: " + big);

      PlatformClient client = new PlatformClient(server.url);
      String fn = client.deploy(client.createApp("env"), "hello", Map.of("memory", 128),
          Map.of("func.py", "def handler(ctx, data=None):\n    return 'hi'\n"));
      // The default policy (fork) would find the first call's instance idle: cold-only starts each call.
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> r = client.invoke(fn, "x");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("cold", ExecutionEndToEndTest.mode(r), "call " + i + " under CLEAVE_POLICY=cold-only");
        Http.Reply activation = http.get("/cleave/v1/activations/" + ExecutionEndToEndTest.callId(r));
        assertEquals("env-node", activation.json().path("node").asText(), activation.toString());
      }
    }
  }

  @Test
  void aFlagBeatsItsEnvironmentVariable() throws Exception {
    Map<String, String> env = Map.of("CLEAVE_MAX_API_BODY", "2k", "CLEAVE_PORT", "1");
    List<String> args = List.of("--port", "0", "--data-dir", dir.resolve("data").toString(),
        "--cluster-name", "env-flag-" + UUID.randomUUID(), "--http-instances", "1", "--max-api-body", "8k");
    try (ServerProcess server = ServerProcess.start(args, env)) {
      assertFalse(server.url.endsWith(":1"), "--port 0 over CLEAVE_PORT=1: " + server.url);
      Http http = new Http(server.url);
      Http.Reply fits = http.post("/v2/apps", appOfSize("fits", 3000));
      assertEquals(200, fits.status(), "--max-api-body 8k over CLEAVE_MAX_API_BODY=2k: " + fits);
      Http.Reply big = http.post("/v2/apps", appOfSize("big", 9000));
      assertEquals(413, big.status(), big.toString());
    }
  }

  @Test
  void aBadValueInTheEnvironmentStopsTheServerAtOnce() throws Exception {
    ServerProcess.Ended ended = ServerProcess.run(List.of("--port", "0", "--data-dir", dir.resolve("data").toString()),
        Map.of("CLEAVE_POLICY", "sometimes"), Duration.ofSeconds(60));
    assertEquals(2, ended.exitCode(), ended.output());
    assertEquals("cleave: unknown policy 'sometimes' (use one of: cold-only, keep-alive, fork, remote-fork)\n", ended.output());
    assertFalse(Files.exists(dir.resolve("data")), "nothing was started or created");
  }
}
