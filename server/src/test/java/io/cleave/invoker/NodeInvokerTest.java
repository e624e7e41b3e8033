package io.cleave.invoker;

import io.cleave.server.ForkdProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.bundle.BundleSource;
import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.StartMode;
import io.cleave.forkd.api.ForkdClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Policies, capacity and lifetimes of the node's pools, against a real forkd and the real Python runtime. */
class NodeInvokerTest {
  static final String FUNC = """
      import time

      VERSION = "%s"

      def handler(ctx, data=None):
          body = data.getvalue().decode()
          if body.startswith("sleep "):
              time.sleep(float(body.split()[1]))
          return VERSION + " " + body
      """;

  @TempDir static Path data;
  static Vertx vertx;
  static ForkdClient forkd;
  static ForkdProcess forkdProcess;
  static Path store;
  static BundleSource bundles;

  private NodeInvoker invoker;
  private SimpleMeterRegistry registry;

  @BeforeAll
  static void startForkd() {
    Path repo = Path.of(System.getProperty("cleave.repo", "..")).toAbsolutePath().normalize();
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    forkd = new ForkdClient(vertx, ForkdProcess.socketOf(data));
    forkdProcess = ForkdProcess.start(data, repo, List.of("-XX:+UseSerialGC", "-Xmx256m"), forkd);
    store = data.resolve("bundles");
    bundles = digest -> Future.succeededFuture(store.resolve(digest.hex() + ".tar.gz"));
  }

  @AfterAll
  static void stopForkd() {
    forkdProcess.close();
    forkd.close();
    Waits.await(vertx.close());
  }

  @AfterEach
  void closeInvoker() {
    if (invoker != null) {
      invoker.close();
    }
  }

  private NodeInvoker open(Policy policy, long capacityMb, Duration capacityWait, Duration seedIdle) throws Exception {
    // Each test's invoker keeps its stores in its own directory; forkd is shared.
    Path node = Files.createTempDirectory(data, "node");
    Path repo = Path.of(System.getProperty("cleave.repo", "..")).toAbsolutePath().normalize();
    InvokerSettings settings = new InvokerSettings(node, repo, "test-node", policy, capacityMb, capacityWait, seedIdle,
        0, 64 * 1024, Duration.ofDays(1), 10_000, 1L << 30, 2, 1 << 20);
    registry = new SimpleMeterRegistry();
    invoker = NodeInvoker.open(vertx, settings, forkd, bundles, UnpackLimits.DEFAULT, registry);
    return invoker;
  }

  private static Fn fn(String name, String version, int memory, int idleTimeout, Instant updated) throws Exception {
    return fn(name, FUNC.formatted(version), memory, idleTimeout, 1, updated);
  }

  private static Fn fn(String name, String code, int memory, int idleTimeout, int concurrency, Instant updated)
      throws Exception {
    String hex = Bundles.write(store, Map.of("func.py", code));
    return new Fn(name, name, "app", "bundle:sha256:" + hex, memory, 10, idleTimeout, concurrency, Map.of(), Map.of(),
        updated, updated);
  }

  private static Call call(Fn fn, String body) {
    App app = new App("app", "app", Map.of(), Map.of(), null, Instant.EPOCH, Instant.EPOCH);
    return new Call(UUID.randomUUID().toString(), app, fn, "POST", "/invoke/" + fn.id(), Map.of(), Buffer.buffer(body),
        Instant.now());
  }

  private CallResult run(Fn fn, String body) {
    CallResult r = Waits.await(invoker.call(call(fn, body)));
    assertEquals(200, r.status(), r.body().toString());
    return r;
  }

  private Set<StartMode> burst(Fn fn, int n, String body) {
    List<Future<CallResult>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(invoker.call(call(fn, body)));
    }
    Set<StartMode> modes = new HashSet<>();
    for (Future<CallResult> f : all) {
      modes.add(Waits.await(f).startMode());
    }
    return modes;
  }

  @Test
  void keepAliveReusesInstancesAndNeverForks() throws Exception {
    open(Policy.KEEP_ALIVE, 2048, Duration.ofSeconds(5), Duration.ofMinutes(10));
    Fn fn = fn("keep", "v1", 64, 60, Instant.now());
    assertEquals(StartMode.COLD, run(fn, "a").startMode());
    assertEquals(StartMode.WARM, run(fn, "b").startMode());
    Set<StartMode> modes = burst(fn, 3, "sleep 0.5");
    assertEquals(Set.of(StartMode.WARM, StartMode.COLD), modes);
    assertEquals(0.0, registry.get("cleave.seeds").gauge().value());
  }

  @Test
  void coldOnlyStartsEveryCallFresh() throws Exception {
    open(Policy.COLD_ONLY, 2048, Duration.ofSeconds(5), Duration.ofMinutes(10));
    Fn fn = fn("coldonly", "v1", 64, 60, Instant.now());
    for (int i = 0; i < 3; i++) {
      CallResult r = run(fn, "c" + i);
      assertEquals(StartMode.COLD, r.startMode());
      assertEquals("v1 c" + i, r.body().toString());
    }
  }

  @Test
  void anUpdatedFunctionRetiresItsInstancesAndAnOlderCopyDoesNotRollItBack() throws Exception {
    open(Policy.FORK, 2048, Duration.ofSeconds(5), Duration.ofMinutes(10));
    Instant t0 = Instant.now();
    Fn v1 = fn("upd", "v1", 64, 60, t0);
    assertEquals("v1 x", run(v1, "x").body().toString());
    assertEquals(StartMode.WARM, run(v1, "x").startMode());
    Fn v2 = fn("upd", "v2", 64, 60, t0.plusSeconds(1));
    CallResult r = run(v2, "y");
    assertEquals("v2 y", r.body().toString());
    assertNotEquals(StartMode.WARM, r.startMode());
    assertEquals("v2 z", run(v1, "z").body().toString(), "a call carrying the older definition runs the newer one");
  }

  @Test
  void idleInstancesAreStoppedAfterTheFunctionsIdleTimeout() throws Exception {
    open(Policy.KEEP_ALIVE, 2048, Duration.ofSeconds(5), Duration.ofMinutes(10));
    Fn fn = fn("idle", "v1", 64, 1, Instant.now());
    int before = runningInstances();
    run(fn, "a");
    assertEquals(StartMode.WARM, run(fn, "b").startMode());
    Waits.until("the idle instance is stopped", () -> runningInstances() == before);
    assertEquals(StartMode.COLD, run(fn, "c").startMode());
  }

  @Test
  void aFullNodeEvictsIdleInstancesOfOtherFunctionsThenRefusesWith503() throws Exception {
    open(Policy.KEEP_ALIVE, 256, Duration.ofMillis(800), Duration.ofMinutes(10));
    Fn a = fn("evict-a", "a", 128, 60, Instant.now());
    Fn b = fn("evict-b", "b", 128, 60, Instant.now());
    Fn c = fn("evict-c", "c", 128, 60, Instant.now());
    run(a, "1");
    run(b, "1");
    assertEquals(StartMode.WARM, run(b, "2").startMode());
    assertEquals(StartMode.COLD, run(c, "1").startMode(), "a's idle instance (least recently used) made room");
    assertEquals(StartMode.WARM, run(b, "3").startMode(), "b's instance was kept");
    assertEquals(StartMode.COLD, run(a, "2").startMode(), "a was evicted");

    Future<CallResult> longA = invoker.call(call(a, "sleep 5"));
    Future<CallResult> longB = invoker.call(call(b, "sleep 5"));
    Waits.until("a's and b's instances are busy", () -> instances("busy") == 2);
    long t0 = System.nanoTime();
    Exception refused = assertThrows(Exception.class, () -> Waits.await(invoker.call(call(c, "late"))));
    ApiError e = assertInstanceOf(ApiError.class, refused);
    assertEquals(503, e.status());
    assertTrue(e.retryAfterSeconds() > 0);
    assertTrue(System.nanoTime() - t0 >= 700_000_000L, "the call waited for capacity first");
    assertEquals(200, Waits.await(longA).status());
    assertEquals(200, Waits.await(longB).status());
    assertEquals("rejected", Waits.await(invoker.list(new io.cleave.common.activation.ActivationQuery("evict-c", null, 1)))
        .get(0).status());
  }

  @Test
  void anIdleSeedIsReclaimed() throws Exception {
    open(Policy.FORK, 2048, Duration.ofSeconds(5), Duration.ofSeconds(2));
    Fn fn = fn("reclaim", "v1", 64, 60, Instant.now());
    run(fn, "a");
    waitForGauge("cleave.seeds", 1.0);
    waitForGauge("cleave.seeds", 0.0);
  }

  @Test
  void callsShareAnInstanceUpToTheFunctionsConcurrency() throws Exception {
    open(Policy.KEEP_ALIVE, 2048, Duration.ofSeconds(5), Duration.ofMinutes(10));
    // Each instance imports the module itself, so the token names the instance that answered.
    Fn fn = fn("shared", """
        import time
        import uuid

        TOKEN = uuid.uuid4().hex

        def handler(ctx, data=None):
            time.sleep(float(data.getvalue().decode()))
            return TOKEN
        """, 64, 60, 2, Instant.now());
    Future<CallResult> first = invoker.call(call(fn, "1"));
    Future<CallResult> second = invoker.call(call(fn, "0"));
    CallResult a = Waits.await(first);
    CallResult b = Waits.await(second);
    assertEquals(200, a.status(), a.body().toString());
    assertEquals(200, b.status(), b.body().toString());
    assertEquals(a.body().toString(), b.body().toString(), "both calls ran on one instance");
    assertEquals(Set.of(StartMode.COLD, StartMode.WARM), Set.of(a.startMode(), b.startMode()));
    assertEquals(1, registry.find("cleave.instance.start.duration").timers().stream().mapToLong(t -> t.count()).sum(),
        "one instance was started");
  }

  /** Instances forkd runs now, for every test's invoker (each stops its own when it closes). */
  private static int runningInstances() {
    return Waits.await(forkd.health()).instances();
  }

  private double instances(String state) {
    return registry.get("cleave.instances").tag("state", state).gauge().value();
  }

  private void waitForGauge(String name, double value) {
    Waits.until(name + " reaches " + value, () -> registry.get(name).gauge().value() == value);
  }
}
