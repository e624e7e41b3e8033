package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.config.BundleStorage;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.invoker.InvokerSettings;
import io.cleave.invoker.Policy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bundles on a real node: the archives and unpacked copies of code no function uses any more are
 * removed after the grace period, and an app's bundles are held to its quota.
 */
@Timeout(180)
class BundleStorageTest {
  static final String HANDLER = "def handler(ctx, data=None):\n    return 'v' + str(len(PAD))\n";
  static final long QUOTA = 600 * 1024;

  @TempDir static Path data;
  static ServerComposition server;
  static PlatformClient client;

  @BeforeAll
  static void start() throws Exception {
    ServerConfig config = ServerConfig.defaults(data.resolve("node")).withPort(0)
        .withCluster("bundles-" + ProcessHandle.current().pid(), 5841, List.of())
        .withBundleStorage(new BundleStorage(QUOTA, Duration.ofSeconds(1))).withAdminKey(Http.TEST_ADMIN_KEY);
    InvokerSettings settings = ExecutionEndToEndTest.settings(config.dataDir(), Policy.FORK, 4);
    server = ServerComposition.start(config, NodeExecution.factory(settings, List.of("-XX:+UseSerialGC", "-Xmx256m")),
        "test");
    client = new PlatformClient(server.url());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void deployUpdateDeleteLeavesTheDiskAsItWas() throws Exception {
    String appId = client.createApp("collected");
    Path dataDir = server.config().dataDir();
    long baseline = bundleBytes(dataDir);
    long baselineAll = bytesUnder(dataDir);

    String fnId = client.deploy(appId, "fn", Map.of(), code(1));
    assertEquals(200, client.invoke(fnId, "").statusCode());
    assertEquals(200, client.uploadBundle(fnId, code(2)).statusCode());
    HttpResponse<String> second = client.invoke(fnId, "");
    assertEquals(200, second.statusCode(), second.body());
    long deployed = bundleBytes(dataDir);
    assertTrue(deployed > baseline + 2 * 150_000, "two archives and their unpacked copies: " + deployed);

    assertEquals(204, client.send("DELETE", "/v2/fns/" + fnId, null, Map.of()).statusCode());
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long now = bundleBytes(dataDir);
    while (now != baseline && System.nanoTime() < end) {
      Thread.sleep(250);
      now = bundleBytes(dataDir);
    }
    System.out.printf("bundle storage: baseline %d B (data dir %d B), deployed %d B, after delete %d B (data dir %d B)%n",
        baseline, baselineAll, deployed, now, bytesUnder(dataDir));
    assertEquals(baseline, now, "archives and unpacked copies are gone");
  }

  @Test
  void anAppsBundlesAreHeldToItsQuota() {
    String appId = client.createApp("quota");
    String first = client.deploy(appId, "first", Map.of(), code(3)); // ~220 KB of 600 KB
    client.deploy(appId, "second", Map.of(), code(4));
    String third = client.json("POST", "/v2/fns", Map.of("name", "third", "app_id", appId)).get("id").asText();
    HttpResponse<String> refused = client.uploadBundle(third, code(5)); // 3 x ~220 KB > 600 KB
    assertEquals(403, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("app quota would use") && refused.body().contains(
        "more than its quota of " + QUOTA + " bytes (--app-bundle-quota)"), refused.body());
    // A function replacing its own bundle counts the new one instead of the old.
    assertEquals(200, client.uploadBundle(first, code(6)).statusCode());
    // Another app has a quota of its own.
    String other = client.createApp("quota-other");
    client.deploy(other, "fn", Map.of(), code(5));
  }

  /** A function with ~220 KB (compressed) of incompressible padding, different for each {@code seed}. */
  static Map<String, String> code(int seed) {
    byte[] pad = new byte[220_000];
    new Random(seed).nextBytes(pad);
    return Map.of("func.py", "PAD = '" + Base64.getEncoder().encodeToString(pad) + "'\n\n" + HANDLER);
  }

  /** Archives and unpacked copies. */
  static long bundleBytes(Path dataDir) {
    return bytesUnder(dataDir.resolve("bundles")) + bytesUnder(dataDir.resolve("unpacked"));
  }

  static long bytesUnder(Path root) {
    if (!Files.exists(root)) {
      return 0;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0; // removed while walking
        }
      }).sum();
    } catch (IOException | UncheckedIOException e) {
      return bytesUnder(root); // a directory went away under the walk: look again
    }
  }
}
