package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.invoker.InvokerSettings;
import io.cleave.invoker.Policy;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Java functions through the real server: bundles of Fn-style Java functions compiled here against
 * the runtime jar, run by forkd on multi-instance JVM seeds; start modes, errors, timeouts and
 * memory exhaustion seen over HTTP, the seed's cgroup read from the cgroup files.
 */
class JavaFunctionsTest {
  private static final long MIB = 1024 * 1024;

  @TempDir static Path data;
  static ServerComposition server;
  static PlatformClient client;
  static String appId;
  static byte[] jar;

  @BeforeAll
  static void start() throws Exception {
    jar = JavaBundles.functionsJar(data.resolve("build"));
    ServerConfig config = ServerConfig.defaults(data.resolve("node")).withPort(0)
        .withCluster("java-" + ProcessHandle.current().pid(), 5801, List.of()).withAdminKey(Http.TEST_ADMIN_KEY);
    // One instance started ahead per JVM seed: calls that find the warm instance busy take it.
    InvokerSettings settings = ExecutionEndToEndTest.settings(config.dataDir(), Policy.FORK, 8, 1);
    server = ServerComposition.start(config, NodeExecution.factory(settings, List.of("-XX:+UseSerialGC", "-Xmx256m")),
        "test");
    client = new PlatformClient(server.url());
    appId = client.createApp("java");
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static String deploy(String name, String cmd, Map<String, Object> settings) {
    return client.deployBundle(appId, name, settings, JavaBundles.bundle(jar, cmd, Map.of()));
  }

  private static String mode(HttpResponse<?> r) {
    return r.headers().firstValue("Cleave-Start-Mode").orElse("");
  }

  private static JsonNode activation(HttpResponse<?> r) {
    return client.json("GET", "/cleave/v1/activations/" + r.headers().firstValue("Fn-Call-Id").orElseThrow(), null);
  }

  private static CompletableFuture<HttpResponse<String>> invokeAsync(String fnId, String body) {
    return CompletableFuture.supplyAsync(() -> client.invoke(fnId, body));
  }

  /** The JVM seeds forkd runs now: their run dirs are {@code j-<id>} under its instances dir. */
  private static Set<String> jvmSeeds() throws IOException {
    Path instances = data.resolve("node").resolve("run").resolve("instances");
    try (Stream<Path> dirs = Files.list(instances)) {
      Set<String> out = new HashSet<>();
      dirs.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("j-")).forEach(out::add);
      return out;
    }
  }

  /**
   * A file of the seed's cgroup, {@code i-<seed>} under forkd's {@code cleave-<tag>} (tag: the
   * data dir's hash, see Forkd), in the hierarchy of {@code controller} (v1, below this process's own
   * cgroup there, which forkd inherits) or in the unified one.
   */
  private static long cgroupValue(String seed, String controller, String v1File, String v2File) throws Exception {
    byte[] digest = MessageDigest.getInstance("SHA-256")
        .digest(data.resolve("node").toRealPath().toString().getBytes(StandardCharsets.UTF_8));
    String forkdDir = "cleave-" + HexFormat.of().formatHex(digest, 0, 6);
    Path v1 = Path.of("/sys/fs/cgroup", controller);
    Path dir;
    if (Files.isDirectory(v1)) {
      String own = "/";
      for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
        String[] f = line.split(":", 3);
        if (f.length == 3 && List.of(f[1].split(",")).contains(controller)) {
          own = f[2];
        }
      }
      dir = v1.resolve(own.substring(1)).resolve(forkdDir).resolve("i-" + seed);
    } else {
      dir = Path.of("/sys/fs/cgroup").resolve(forkdDir).resolve("i-" + seed);
    }
    String text = Files.readString(dir.resolve(Files.isDirectory(v1) ? v1File : v2File)).trim().split(" ")[0];
    return text.equals("max") ? -1 : Long.parseLong(text);
  }

  private static long cpuQuota(String seed) throws Exception {
    return cgroupValue(seed, "cpu", "cpu.cfs_quota_us", "cpu.max");
  }

  private static long memoryLimit(String seed) throws Exception {
    return cgroupValue(seed, "memory", "memory.limit_in_bytes", "memory.max");
  }

  /** The end of forkd's log, for failure messages. */
  private static String forkdLog() throws IOException {
    String log = Files.readString(data.resolve("node").resolve("forkd.log"));
    return log.substring(Math.max(0, log.length() - 3000));
  }

  @Test
  void helloIsColdThenWarmThenAnInstanceInItsJvmSeedWhoseCpuAndMemoryFollowItsInstances() throws Exception {
    String fnId = deploy("hello", "com.example.fn.HelloFunction::handleRequest",
        Map.of("memory", 128, "idle_timeout", 2, "timeout", 30));
    Set<String> before = jvmSeeds();
    HttpResponse<String> first = client.invoke(fnId, "world");
    assertEquals(200, first.statusCode(), first.body());
    assertEquals("Hello, world!", first.body());
    assertEquals("cold", mode(first));
    HttpResponse<String> second = client.invoke(fnId, "again");
    assertEquals("warm", mode(second), second.body());
    Set<String> seeds = jvmSeeds();
    seeds.removeAll(before);
    assertEquals(1, seeds.size(), "one JVM seed: " + seeds);
    String seed = seeds.iterator().next();
    // The instance serving calls and the one started ahead of calls (--fork-ahead 1).
    awaitSeedSize(seed, 2, null);

    CompletableFuture<HttpResponse<String>> a = invokeAsync(fnId, "sleep 1500");
    CompletableFuture<HttpResponse<String>> b = invokeAsync(fnId, "sleep 1500");
    HttpResponse<String> ra = a.get(60, TimeUnit.SECONDS);
    HttpResponse<String> rb = b.get(60, TimeUnit.SECONDS);
    assertEquals(200, ra.statusCode(), ra.body());
    assertEquals(200, rb.statusCode(), rb.body());
    assertEquals(Set.of("warm", "instance"), Set.of(mode(ra), mode(rb)));
    HttpResponse<String> added = mode(ra).equals("instance") ? ra : rb;
    JsonNode record = activation(added);
    assertEquals("instance", record.get("start_mode").asText());
    assertEquals(0, record.get("init_ms").asInt(), "the instance was started ahead: the call waited for no start");
    for (HttpResponse<String> r : List.of(ra, rb)) {
      String logs = client.send("GET", "/cleave/v1/activations/" + r.headers().firstValue("Fn-Call-Id").orElseThrow()
          + "/logs", null, Map.of()).body();
      assertEquals(1, logs.split("hello called for sleeper", -1).length - 1,
          "each call's log holds its own line only, though both ran at once in one JVM: " + logs);
    }
    Set<String> after = jvmSeeds();
    after.removeAll(before);
    assertEquals(Set.of(seed), after, "the new instance runs in the same JVM seed");
    // Two instances served calls; another one is started ahead.
    awaitSeedSize(seed, 3, null);
    // Calls keep one instance in use; the other idles out (2 s) and the seed shrinks back.
    awaitSeedSize(seed, 2, fnId);
    assertEquals("warm", mode(client.invoke(fnId, "still")));
  }

  /** cpu quota per instance of 128 MB: forkd's default CLEAVE_FORKD_MB_PER_CPU unless the environment sets it. */
  private static long quotaPerInstance() {
    String mbPerCpu = System.getenv("CLEAVE_FORKD_MB_PER_CPU");
    return Math.max(10_000, 128L * 100_000 / (mbPerCpu == null || mbPerCpu.isBlank() ? 128 : Integer.parseInt(mbPerCpu)));
  }

  /** The instances of a JVM seed: their listeners in its run dir. */
  private static long instancesOf(String seed) throws IOException {
    try (Stream<Path> files = Files.list(data.resolve("node").resolve("run").resolve("instances").resolve(seed))) {
      return files.filter(p -> p.getFileName().toString().matches("v-[0-9a-f]+\\.sock")).count();
    }
  }

  /**
   * Waits (20 s at most; calling {@code keepCalling} meanwhile unless null) until the seed hosts
   * {@code n} instances and its cgroup's cpu quota and memory limit are {@code n} instances' own.
   */
  private static void awaitSeedSize(String seed, int n, String keepCalling) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (instancesOf(seed) != n || cpuQuota(seed) != n * quotaPerInstance() || memoryLimit(seed) != n * 128 * MIB) {
      assertTrue(System.nanoTime() < end, "the seed has " + instancesOf(seed) + " instance(s), cpu quota "
          + cpuQuota(seed) + ", memory limit " + memoryLimit(seed) + "; wanted " + n + " instances' own; forkd's log: "
          + forkdLog());
      if (keepCalling != null) {
        assertEquals(200, client.invoke(keepCalling, "keep").statusCode());
      }
      Thread.sleep(200);
    }
  }

  @Test
  void configHeadersAndAPojoGoInAndOutAsInFdkJava() throws Exception {
    String fnId = deploy("greeting", "com.example.fn.GreetingFunction::handleRequest",
        Map.of("memory", 128, "config", Map.of("GREETING", "Howdy")));
    HttpResponse<String> r = client.send("POST", "/invoke/" + fnId, "{\"name\":\"Ann\",\"age\":30}",
        Map.of("Content-Type", "application/json", "X-Asker", "tester"));
    assertEquals(200, r.statusCode(), r.body());
    JsonNode g = PlatformClient.JSON.readTree(r.body());
    assertEquals("Howdy Ann", g.get("message").asText());
    assertTrue(g.get("adult").asBoolean());
    assertEquals("tester", g.get("asker").asText());
    assertEquals(fnId, g.get("fnId").asText());
  }

  @Test
  void aBundlesAppCdsArchiveIsMappedByItsJvmSeed() throws Exception {
    String cmd = "com.example.fn.ArchiveFunction::handleRequest";
    String with = client.deployBundle(appId, "archived", Map.of("memory", 128),
        JavaBundles.bundle(jar, cmd, JavaBundles.archive(jar, cmd, data.resolve("cds"))));
    String without = deploy("unarchived", cmd, Map.of("memory", 128));
    HttpResponse<String> mapped = client.invoke(with, "");
    assertEquals(200, mapped.statusCode(), mapped.body());
    assertEquals("archive mapped", mapped.body(), "the archive made as cleave deploy makes it applies in the seed");
    assertEquals("no archive", client.invoke(without, "").body());
  }

  @Test
  void anExceptionIs502WithFnsMessageAndTheFunctionStillAnswers() {
    String fnId = deploy("raising", "com.example.fn.MisbehavingFunction::handleRequest", Map.of("memory", 128));
    HttpResponse<String> raised = client.invoke(fnId, "raise");
    assertEquals(502, raised.statusCode(), raised.body());
    assertTrue(raised.body().contains("\"function failed\""), raised.body());
    assertFalse(raised.body().contains("bad input 42"), "the exception goes to the log only: " + raised.body());
    HttpResponse<String> fine = client.invoke(fnId, "ok");
    assertEquals(200, fine.statusCode(), fine.body());
    assertEquals("fine ok", fine.body());
  }

  @Test
  void aTimeoutIs504AndStopsItsInstanceWhileAnotherInstanceOfTheSameJvmAnswers() throws Exception {
    String fnId = deploy("sleepy", "com.example.fn.MisbehavingFunction::handleRequest",
        Map.of("memory", 128, "timeout", 2, "idle_timeout", 30));
    Set<String> before = jvmSeeds();
    assertEquals("cold", mode(client.invoke(fnId, "first")));
    CompletableFuture<HttpResponse<String>> stuck = invokeAsync(fnId, "sleep 20000");
    Thread.sleep(300);
    HttpResponse<String> beside = client.invoke(fnId, "beside");
    assertEquals(200, beside.statusCode(), beside.body());
    assertEquals("instance", mode(beside), "the busy instance's JVM took another instance");
    HttpResponse<String> timedOut = stuck.get(30, TimeUnit.SECONDS);
    assertEquals(504, timedOut.statusCode(), timedOut.body());
    assertEquals("timeout", activation(timedOut).get("status").asText());
    HttpResponse<String> after = client.invoke(fnId, "after");
    assertEquals(200, after.statusCode(), after.body());
    assertEquals("warm", mode(after), "the other instance of the same JVM keeps answering");
    Set<String> seeds = jvmSeeds();
    seeds.removeAll(before);
    assertEquals(1, seeds.size(), "one JVM seed throughout: " + seeds);
  }

  @Test
  void anInstanceExhaustingTheHeapFailsEveryCallInFlightOnItsSeedAndTheNextCallStartsANewSeed() throws Exception {
    String fnId = deploy("hog", "com.example.fn.MisbehavingFunction::handleRequest",
        Map.of("memory", 128, "timeout", 30, "idle_timeout", 30));
    Set<String> before = jvmSeeds();
    assertEquals("cold", mode(client.invoke(fnId, "first")));
    Set<String> first = jvmSeeds();
    first.removeAll(before);
    CompletableFuture<HttpResponse<String>> inFlight = invokeAsync(fnId, "sleep 10000");
    Thread.sleep(300);
    HttpResponse<String> hog = client.invoke(fnId, "hog");
    assertEquals(502, hog.statusCode(), hog.body());
    assertEquals("instance", activation(hog).get("start_mode").asText(), "a new instance beside the busy one");
    assertTrue(hog.body().contains("out of memory"), hog.body());
    HttpResponse<String> other = inFlight.get(30, TimeUnit.SECONDS);
    assertEquals(502, other.statusCode(), "the call in flight on the same JVM: " + other.body());
    assertTrue(other.body().contains("out of memory"), other.body());

    HttpResponse<String> next = client.invoke(fnId, "next");
    assertEquals(200, next.statusCode(), next.body());
    assertEquals("cold", mode(next), "a new JVM seed");
    Set<String> now = jvmSeeds();
    now.removeAll(before);
    assertEquals(1, now.size(), "the exhausted seed is gone, a new one runs: " + now);
    assertNotEquals(first, now);
  }
}
