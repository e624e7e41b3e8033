package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.activation.Activation;
import io.cleave.common.activation.ActivationQuery;
import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.model.Fn;
import io.cleave.common.model.StartMode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pools' per-call flow over an in-memory host: placement order, eviction, seeds; no root needed. */
class InstancePoolsTest {
  private static final String REFUSAL =
      "seed is not forkable: 1 thread(s) besides the main one running after import (worker)";

  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  private InMemoryHost host;
  private NodeInvoker invoker;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @AfterEach
  void stop() {
    if (invoker != null) {
      // Records of the last calls are stored before the store closes.
      Waits.await(invoker.list(new ActivationQuery(null, null, 1)));
      invoker.close();
    }
    host.close();
    Waits.await(vertx.close());
  }

  private void open(Policy policy, long capacityMb, Duration capacityWait) throws Exception {
    open(policy, capacityMb, capacityWait, Duration.ofMinutes(10), 0);
  }

  private void open(Policy policy, long capacityMb, Duration capacityWait, Duration seedIdle, int forkAhead)
      throws Exception {
    host = new InMemoryHost(vertx, Files.createDirectories(dir.resolve("host")));
    Path node = Files.createDirectories(dir.resolve("node"));
    InvokerSettings settings = new InvokerSettings(node, dir, "test-node", policy, capacityMb, capacityWait,
        seedIdle, forkAhead, 64 * 1024, Duration.ofDays(1), 10_000, 1L << 30, 2, 1 << 20);
    Path store = dir.resolve("bundles");
    invoker = NodeInvoker.open(vertx, settings, host, digest -> Future.succeededFuture(store.resolve(digest.hex() + ".tar.gz")),
        UnpackLimits.DEFAULT, registry);
  }

  private Fn fn(String id, int memoryMb, String version) throws Exception {
    String hex = Bundles.write(dir.resolve("bundles"), Map.of("func.py", "# " + version + "\n"));
    Instant t = Instant.parse("2025-01-01T00:00:00Z").plusSeconds(version.hashCode() & 0xffff);
    return new Fn(id, id, "app1", "bundle:sha256:" + hex, memoryMb, 30, 60, 1, Map.of(), Map.of(), t, t);
  }

  /** Runs one call to success; the body names the instance that served it. */
  private CallResult run(Fn fn, String body) {
    CallResult r = Waits.await(invoker.call(Calls.call(fn, body)));
    assertEquals(200, r.status(), r.body().toString());
    return r;
  }

  private static String servedBy(CallResult r) {
    return r.body().toString().split(" ")[0];
  }

  /** Sends a call the host answers only on release, and waits until it runs. */
  private Future<CallResult> hold(Fn fn) {
    int before = host.heldCalls();
    Future<CallResult> f = invoker.call(Calls.call(fn, "hold"));
    Waits.until("the held call runs", () -> host.heldCalls() == before + 1);
    return f;
  }

  private void awaitSeeds(int n) {
    Waits.until(n + " seed(s) ready", () -> registry.get("cleave.seeds").gauge().value() == n);
  }

  private List<InMemoryHost.Start> liveSeeds() {
    return host.live().stream().filter(InMemoryHost.Start::seed).toList();
  }

  @Test
  void forkPolicyStartsColdThenReusesTheWarmInstanceThenForksTheSeed() throws Exception {
    open(Policy.FORK, 2048, Duration.ofSeconds(5));
    Fn f = fn("f", 128, "v1");
    CallResult first = run(f, "a");
    assertEquals(StartMode.COLD, first.startMode());
    awaitSeeds(1);
    CallResult second = run(f, "b");
    assertEquals(StartMode.WARM, second.startMode());
    assertEquals(servedBy(first), servedBy(second));

    Future<CallResult> busy = hold(f);
    CallResult third = run(f, "c");
    assertEquals(StartMode.FORK, third.startMode());
    assertNotEquals(servedBy(first), servedBy(third));
    host.releaseHeld();
    assertEquals(StartMode.WARM, Waits.await(busy).startMode());

    assertEquals(List.of(StartMode.COLD, StartMode.FORK),
        host.starts().stream().filter(s -> !s.seed()).map(InMemoryHost.Start::mode).toList());
    assertEquals(1, host.starts().stream().filter(InMemoryHost.Start::seed).count());
  }

  /** Fork children running now that no call was ever sent to: the ones parked ahead of demand. */
  private List<InMemoryHost.Start> liveForks() {
    return host.live().stream().filter(s -> s.mode() == StartMode.FORK).toList();
  }

  @Test
  void aParkedChildServesTheFirstCallOfABurstAsAForkThatWaitedForNoStart() throws Exception {
    open(Policy.FORK, 2048, Duration.ofSeconds(5), Duration.ofMinutes(10), 2);
    Fn f = fn("f", 128, "v1");
    String cold = servedBy(run(f, "a"));
    awaitSeeds(1);
    Waits.until("two children parked ahead of the seed", () -> liveForks().size() == 2);
    List<String> parked = liveForks().stream().map(InMemoryHost.Start::instanceId).toList();
    Waits.until("the instances gauge counts them as parked",
        () -> registry.get("cleave.instances").tag("state", "parked").gauge().value() == 2);

    Future<CallResult> busy = hold(f); // the warm instance is taken first: a parked child is kept for a burst
    Call call = Calls.call(f, "b");
    CallResult burst = Waits.await(invoker.call(call));
    assertEquals(StartMode.FORK, burst.startMode());
    assertTrue(parked.contains(servedBy(burst)), "served by a child forked before the call: " + servedBy(burst));
    assertNotEquals(cold, servedBy(burst));
    Activation activation = Waits.await(invoker.get(call.id())).orElseThrow();
    assertEquals(StartMode.FORK, activation.startMode());
    assertEquals(0, activation.initMs(), "the call waited for no start");
    assertEquals(StartMode.WARM, run(f, "c").startMode(), "its next call is warm");
    assertEquals(2, liveForks().size(), "no refill while a call of the function runs");
    host.releaseHeld();
    Waits.await(busy);
    Waits.until("the taken child is replaced once no call runs", () -> liveForks().size() == 3);
  }

  @Test
  void parkedChildrenCountInNodeMemoryOnlyWhereItIsFreeAndGoWithTheirSeed() throws Exception {
    // Room for the cold instance, the seed and one parked child: the second is never forked.
    open(Policy.FORK, 384, Duration.ofSeconds(5), Duration.ofSeconds(3), 2);
    Fn f = fn("f", 128, "v1");
    String cold = servedBy(run(f, "a"));
    // Parking does not count as forking from the seed: it idles out 3 s after it is ready.
    Waits.until("one child parked", () -> liveForks().size() == 1);
    assertEquals(384, invoker.load().reservedMb(), "instance, seed and parked child each count their memory");
    Waits.until("the seed idles out and its parked child goes with it",
        () -> liveSeeds().isEmpty() && liveForks().isEmpty());
    Waits.until("their memory is free again", () -> invoker.load().reservedMb() == 128);
    assertTrue(host.isLive(cold), "the used instance keeps to its own idle timeout");
    assertEquals(1, host.starts().stream().filter(s -> s.mode() == StartMode.FORK).count());
  }

  @Test
  void anotherFunctionsColdStartAndSeedTakeTheRoomOfParkedChildren() throws Exception {
    open(Policy.FORK, 512, Duration.ofSeconds(5), Duration.ofMinutes(10), 2);
    Fn a = fn("a", 128, "a");
    Fn b = fn("b", 128, "b");
    String aInstance = servedBy(run(a, "1"));
    awaitSeeds(1);
    Waits.until("the node is full: a's instance, seed and two parked children", () -> liveForks().size() == 2);
    assertEquals(StartMode.COLD, run(b, "1").startMode());
    awaitSeeds(2);
    assertTrue(liveForks().isEmpty(), "both parked children made room, for b's instance and for b's seed");
    assertTrue(host.isLive(aInstance), "a's used instance is kept");
  }

  @Test
  void aFullNodeStopsIdleInstancesOfOtherFunctionsLeastRecentlyUsedFirstThenRefuses() throws Exception {
    open(Policy.KEEP_ALIVE, 256, Duration.ofMillis(300));
    Fn a = fn("a", 128, "a");
    Fn b = fn("b", 128, "b");
    Fn c = fn("c", 128, "c");
    String aInstance = servedBy(run(a, "1"));
    String bInstance = servedBy(run(b, "1"));
    assertEquals(StartMode.WARM, run(b, "2").startMode());
    assertEquals(StartMode.COLD, run(c, "1").startMode());
    Waits.until("a's idle instance (least recently used) is stopped", () -> !host.isLive(aInstance));
    assertTrue(host.isLive(bInstance), "b's more recently used instance is kept");
    assertEquals(StartMode.WARM, run(b, "3").startMode());
    assertEquals(StartMode.COLD, run(a, "2").startMode(), "a's instance was gone");

    Future<CallResult> busyA = hold(a);
    Future<CallResult> busyB = hold(b);
    Call late = Calls.call(c, "late");
    ApiError refused = assertInstanceOf(ApiError.class,
        assertThrows(Exception.class, () -> Waits.await(invoker.call(late))));
    assertEquals(503, refused.status());
    assertTrue(refused.retryAfterSeconds() > 0);
    Activation rejected = Waits.await(invoker.get(late.id())).orElseThrow();
    assertEquals("rejected", rejected.status());
    host.releaseHeld();
    assertEquals(200, Waits.await(busyA).status());
    assertEquals(200, Waits.await(busyB).status());
  }

  @Test
  void idleInstancesOfOtherFunctionsMakeRoomBeforeTheirSeeds() throws Exception {
    open(Policy.FORK, 384, Duration.ofSeconds(5));
    Fn a = fn("a", 128, "a");
    Fn b = fn("b", 128, "b");
    Fn c = fn("c", 128, "c");
    Fn d = fn("d", 128, "d");
    String aInstance = servedBy(run(a, "1"));
    awaitSeeds(1);
    String aSeed = liveSeeds().get(0).instanceId();
    Future<CallResult> busyB = hold(b); // fills the node: no room is left for b's seed
    assertEquals(StartMode.COLD, run(c, "1").startMode());
    Waits.until("a's idle instance made room for c", () -> !host.isLive(aInstance));
    assertTrue(host.isLive(aSeed), "a's seed is kept while an idle instance can go");
    Future<CallResult> busyC = hold(c);
    assertEquals(StartMode.COLD, run(d, "1").startMode());
    Waits.until("with no idle instance left, a's seed made room for d", () -> !host.isLive(aSeed));
    host.releaseHeld();
    Waits.await(busyB);
    Waits.await(busyC);
  }

  @Test
  void withoutTheForkPrimitiveRemoteForkKeepsASeedForLocalForks() throws Exception {
    open(Policy.REMOTE_FORK, 2048, Duration.ofSeconds(5));
    host.withoutForkPrimitive();
    Fn f = fn("f", 128, "v1");
    assertEquals(StartMode.COLD, run(f, "a").startMode());
    awaitSeeds(1);
    Future<CallResult> busy = hold(f);
    assertEquals(StartMode.FORK, run(f, "b").startMode(), "the plain seed serves local forks");
    host.releaseHeld();
    Waits.await(busy);
    assertEquals(1, host.starts().stream().filter(InMemoryHost.Start::seed).count(),
        "one seed, started plain after the prepared one was refused");
  }

  @Test
  void aRefusedForkFallsBackToAColdStartThatSaysWhy() throws Exception {
    open(Policy.FORK, 2048, Duration.ofSeconds(5));
    host.refuseForks(REFUSAL);
    Fn f = fn("f", 128, "v1");
    run(f, "a");
    awaitSeeds(1);
    Future<CallResult> busy = hold(f);
    Call call = Calls.call(f, "b");
    assertEquals(StartMode.COLD, Waits.await(invoker.call(call)).startMode());
    Activation activation = Waits.await(invoker.get(call.id())).orElseThrow();
    assertEquals(StartMode.COLD, activation.startMode());
    assertEquals("not forked: " + REFUSAL, activation.startNote());
    Waits.until("the refusing seed is stopped", () -> liveSeeds().isEmpty());

    Future<CallResult> busyToo = hold(f);
    Call again = Calls.call(f, "c");
    assertEquals(StartMode.COLD, Waits.await(invoker.call(again)).startMode());
    assertEquals("not forked: " + REFUSAL, Waits.await(invoker.get(again.id())).orElseThrow().startNote());
    assertEquals(1, host.starts().stream().filter(InMemoryHost.Start::seed).count(), "no new seed for this version");
    host.releaseHeld();
    Waits.await(busy);
    Waits.await(busyToo);
  }

  @Test
  void aChangedFunctionRetiresItsSeedAndIdleInstances() throws Exception {
    open(Policy.FORK, 2048, Duration.ofSeconds(5));
    Fn v1 = fn("f", 128, "v1");
    String instance = servedBy(run(v1, "a"));
    awaitSeeds(1);
    String seed = liveSeeds().get(0).instanceId();
    Fn v2 = fn("f", 128, "v2");
    invoker.fnChanged("f", Optional.of(v2));
    Waits.until("the old version's seed and instance are stopped", () -> !host.isLive(seed) && !host.isLive(instance));
    CallResult next = run(v2, "b");
    assertEquals(StartMode.COLD, next.startMode(), "nothing of the old version serves the new one");
    awaitSeeds(1);

    String seed2 = liveSeeds().get(0).instanceId();
    invoker.fnChanged("f", Optional.empty());
    Waits.until("a deleted function's seed and instance are stopped",
        () -> !host.isLive(seed2) && !host.isLive(servedBy(next)));
  }

  @Test
  void coldOnlyGivesEachCallItsOwnInstanceAndStopsIt() throws Exception {
    open(Policy.COLD_ONLY, 2048, Duration.ofSeconds(5));
    Fn f = fn("f", 128, "v1");
    CallResult first = run(f, "a");
    CallResult second = run(f, "b");
    assertEquals(StartMode.COLD, first.startMode());
    assertEquals(StartMode.COLD, second.startMode());
    assertNotEquals(servedBy(first), servedBy(second));
    Waits.until("both instances are stopped", () -> host.live().isEmpty());
  }
}
