package io.cleave.forkd;

import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.StartMode;
import io.vertx.core.json.JsonObject;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * forkd with the real Python runtime ({@code python3 -m fdk}): cold instances, seeds and forks
 * serve calls; and start times next to their baselines, measured in the same run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForkdWithSdkPythonTest {
  @RegisterExtension
  final ForkdOnce once = new ForkdOnce("forkd-sdk");
  static final Path SDK = ForkdProcess.REPO.resolve("sdk-python");
  Path bundle;
  ForkdProcess forkd;
  PathWatch paths;

  @BeforeAll
  void startForkd() throws Exception {
    assertTrue(Files.isDirectory(SDK.resolve("fdk")), "sdk-python missing at " + SDK);
    forkd = once.start(Map.of("CLEAVE_FORKD_POOL", "2"));
    bundle = once.bundle("bundle", "/sdkfunc/func.py", "func.py");
    paths = PathWatch.open();
  }

  @AfterAll
  void closeWatch() throws Exception {
    paths.close();
  }

  private static List<String> command() {
    return ForkdProcess.command("func.py");
  }

  private static Map<String, String> env() {
    return ForkdProcess.env(Map.of());
  }

  @Test
  void coldSeedAndForksServeCalls() throws Exception {
    StartedInstance cold = forkd.await(forkd.client.start(StartRequest.cold("fn1", "app1", bundle.toString(), 128,
        command(), env())));
    JsonObject answer = forkd.call(cold.listener(), "cold");
    assertEquals("cold", answer.getString("hello"));
    assertTrue(answer.getInteger("uid") >= ForkdProcess.UID_BASE);
    assertEquals(2, answer.getInteger("pid"));

    StartedInstance seed = forkd.await(forkd.client.start(StartRequest.seed("fn1", "app1", bundle.toString(), 128,
        command(), env())));
    for (int i = 0; i < 3; i++) {
      StartedInstance child = forkd.await(forkd.client.start(StartRequest.fork(seed.instanceId(), "fn1", "app1", 64,
          Map.of())));
      assertEquals("tmpfs", Files.getFileStore(Path.of(child.listener())).type(), "a fork child's run dir is on the tmpfs");
      JsonObject c = forkd.call(child.listener(), "child" + i);
      assertEquals("child" + i, c.getString("hello"));
      assertEquals(2, c.getInteger("loaded_by"), "the module was loaded by the seed");
      assertNotEquals(2, c.getInteger("pid"));
      assertEquals(10000, c.getInteger("table"));
      assertEquals("running", forkd.await(forkd.client.status(child.instanceId())).state());
      forkd.await(forkd.client.delete(child.instanceId()));
    }
    Path children = forkd.dataDir.resolve("run/forks/" + seed.instanceId());
    Path onTmpfs = children.toRealPath();
    assertNotEquals(children, onTmpfs, "the seed's children dir is a link to its dir on the tmpfs");
    forkd.await(forkd.client.delete(seed.instanceId()));
    assertFalse(Files.exists(children, LinkOption.NOFOLLOW_LINKS), "the seed's children dir went with it");
    assertFalse(Files.exists(onTmpfs), "the seed's children dir on the tmpfs went with it");
    forkd.await(forkd.client.delete(cold.instanceId()));
  }

  @Test
  void aParkedChildOwnsThePagesItsSeedsFirstChildsFirstCallWroteBeforeItsOwnCall() throws Exception {
    Path pagesBundle = once.bundle("pages-bundle", "/sdkfunc/pages.py", "pages.py");
    StartedInstance seed = forkd.await(forkd.client.start(StartRequest.seed("fn-pages", "app1", pagesBundle.toString(),
        128, ForkdProcess.command("pages.py"), env())));
    StartedInstance learner = fork(seed);
    long expected = forkd.call(learner.listener(), "").getLong("chars");
    // The next fork's answer names the learner; forkd reads its pages and hands them to the seed.
    StartedInstance next = fork(seed);
    Thread.sleep(500);
    StartedInstance unconnected = fork(seed);
    try (Parked parked = parkOnceLearned(seed, pid -> privateDirtyKb(pid) >= privateDirtyKb(unconnected.pid()) + 1024)) {
      long parkedKb = privateDirtyKb(parked.child.pid());
      long unconnectedKb = privateDirtyKb(unconnected.pid());
      assertTrue(parkedKb >= unconnectedKb + 1024, "a parked child faults in the learner's first-call pages: "
          + parkedKb + " kB private dirty, a child nobody connected to " + unconnectedKb + " kB");
      assertEquals(expected, forkd.call(parked.child.listener(), "").getLong("chars"));
    }
    for (StartedInstance i : List.of(learner, next, unconnected, seed)) {
      forkd.await(forkd.client.delete(i.instanceId()));
    }
  }

  /** A test on a child's pid that may throw. */
  private interface PidCheck {
    boolean test(long pid) throws Exception;
  }

  /** A parked child held connected, as the invoker holds one; deleted when closed. */
  private final class Parked implements AutoCloseable {
    final StartedInstance child;
    final SocketChannel held;

    Parked(StartedInstance child) throws Exception {
      this.child = child;
      this.held = SocketChannel.open(StandardProtocolFamily.UNIX);
      held.connect(UnixDomainSocketAddress.of(child.listener())); // as the invoker connects to a child it parks
    }

    @Override
    public void close() throws Exception {
      held.close();
      forkd.await(forkd.client.delete(child.instanceId()));
    }
  }

  /**
   * A child forked and parked (connected to) once {@code ready} holds for it within 5 s. forkd reads
   * the learner's pages on a thread of its own after the next fork's answer named it, which on a loaded
   * machine may take longer than the test's pause: a child forked before they came has none to fault
   * in, so it goes and another is forked, for 60 s at most (the last one is returned as it is).
   */
  private Parked parkOnceLearned(StartedInstance seed, PidCheck ready) throws Exception {
    long giveUp = System.nanoTime() + 60_000_000_000L;
    while (true) {
      Parked parked = new Parked(fork(seed));
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (!ready.test(parked.child.pid()) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      if (ready.test(parked.child.pid()) || System.nanoTime() > giveUp) {
        return parked;
      }
      parked.close();
    }
  }

  private StartedInstance fork(StartedInstance seed) throws Exception {
    return forkd.await(forkd.client.start(StartRequest.fork(seed.instanceId(), "fn-pages", "app1", 64, Map.of())));
  }

  @Test
  void aParkedChildsHeapReachesAsFarAsItsSeedsFirstChildsFirstCallGrewIt() throws Exception {
    Path heapBundle = once.bundle("heap-bundle", "/sdkfunc/heap.py", "heap.py");
    StartedInstance seed = forkd.await(forkd.client.start(StartRequest.seed("fn-heap", "app1", heapBundle.toString(),
        128, ForkdProcess.command("heap.py"), env())));
    StartedInstance learner = fork(seed);
    long expected = forkd.call(learner.listener(), "").getLong("bytes");
    long learnerHeapEnd = heapEnd(learner.pid());
    StartedInstance next = fork(seed); // its fork's answer names the learner
    Thread.sleep(500);
    StartedInstance unconnected = fork(seed);
    assertTrue(heapEnd(unconnected.pid()) < learnerHeapEnd, "the learner's call grew its heap past its seed's");
    try (Parked parked = parkOnceLearned(seed, pid -> heapEnd(pid) >= learnerHeapEnd)) {
      long parkedEnd = heapEnd(parked.child.pid());
      assertTrue(parkedEnd >= learnerHeapEnd, "a parked child's heap reaches the learner's end before its call: "
          + Long.toHexString(parkedEnd) + " < " + Long.toHexString(learnerHeapEnd));
      assertEquals(expected, forkd.call(parked.child.listener(), "").getLong("bytes"));
    }
    for (StartedInstance i : List.of(learner, next, unconnected, seed)) {
      forkd.await(forkd.client.delete(i.instanceId()));
    }
  }

  /** Where the process's heap ends (its last {@code [heap]} mapping; a grown heap may be two). */
  private static long heapEnd(long pid) throws Exception {
    long end = 0;
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
      if (line.endsWith("[heap]")) {
        end = Long.parseUnsignedLong(line.substring(line.indexOf('-') + 1, line.indexOf(' ')), 16);
      }
    }
    return end;
  }

  private static long privateDirtyKb(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
      if (line.startsWith("Private_Dirty:")) {
        return Long.parseLong(line.substring("Private_Dirty:".length()).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalStateException("no Private_Dirty for " + pid);
  }

  @Test
  void threadedSeedRefusesForksWith422UnlessItAllowsThem() throws Exception {
    Path threaded = once.bundle("threaded", "/sdkfunc/threaded.py", "func.py");
    StartedInstance seed = forkd.await(forkd.client.start(StartRequest.seed("fn2", "app1", threaded.toString(), 128,
        command(), env())));
    for (int i = 0; i < 2; i++) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> forkd.await(forkd.client.start(StartRequest.fork(seed.instanceId(), "fn2", "app1", 64, Map.of()))));
      ApiError refused = assertInstanceOf(ApiError.class, e.getCause());
      assertEquals(422, refused.status(), refused.getMessage());
      assertTrue(refused.getMessage().startsWith(
          "seed is not forkable: 1 thread besides the main one running after import (heartbeat); "), refused.getMessage());
      assertTrue(refused.getMessage().contains("fdk.allow_fork()"), refused.getMessage());
    }
    try (var left = Files.list(forkd.dataDir.resolve("run/forks/" + seed.instanceId()))) {
      assertEquals(List.of(), left.toList(), "a refused fork left its run dir behind");
    }
    assertEquals("running", forkd.await(forkd.client.status(seed.instanceId())).state(), "the seed serves on");
    forkd.await(forkd.client.delete(seed.instanceId()));

    Map<String, String> allowing = new HashMap<>(env());
    allowing.put("ALLOW_FORK", "1");
    StartedInstance allowed = forkd.await(forkd.client.start(StartRequest.seed("fn2", "app1", threaded.toString(), 128,
        command(), allowing)));
    StartedInstance child = forkd.await(forkd.client.start(StartRequest.fork(allowed.instanceId(), "fn2", "app1", 64,
        Map.of())));
    JsonObject answer = forkd.call(child.listener(), "x");
    assertEquals(2, answer.getInteger("threads"), answer.encode());
    assertTrue(answer.getJsonArray("names").contains("heartbeat"), "the child restarted its thread: " + answer.encode());
    forkd.await(forkd.client.delete(child.instanceId()));
    forkd.await(forkd.client.delete(allowed.instanceId()));
  }

  /**
   * Start times in rounds, each with its baseline measured right next to it on this (noisy)
   * machine: the runtime started bare (no container, no forkd) against forkd's cold start, and a
   * fork order sent straight to the seed against forkd's fork. Prints the figures; asserts no
   * timing (the machine is shared).
   */
  @Test
  void startTimesAgainstTheirBaselines() throws Exception {
    StartedInstance seed = forkd.await(forkd.client.start(StartRequest.seed("fn1", "app1", bundle.toString(), 128,
        command(), env())));
    Path seedCtl = forkd.dataDir.resolve("run/instances/" + seed.instanceId() + "/ctl.sock");
    Path seedChildren = forkd.dataDir.resolve("run/forks/" + seed.instanceId());
    List<Double> bare = new ArrayList<>();
    List<Double> cold = new ArrayList<>();
    List<Double> coldSeen = new ArrayList<>();
    List<Double> direct = new ArrayList<>();
    List<Double> fork = new ArrayList<>();
    List<Double> forkSeen = new ArrayList<>();
    List<Double> rpc = new ArrayList<>();
    // Warm-up: forkd's JIT and the page cache, not measured.
    for (int i = 0; i < 20; i++) {
      StartedInstance c = forkd.await(forkd.client.start(StartRequest.fork(seed.instanceId(), "fn1", "app1", 64, Map.of())));
      forkd.await(forkd.client.delete(c.instanceId()));
    }
    try (SocketChannel control = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      control.connect(UnixDomainSocketAddress.of(seedCtl));
      for (int round = 0; round < 8; round++) {
        bare.add(bareStart(round));
        long t0 = System.nanoTime();
        StartedInstance c = forkd.await(forkd.client.start(StartRequest.cold("fn1", "app1", bundle.toString(), 128,
            command(), env())));
        coldSeen.add(ms(t0));
        assertEquals(StartMode.COLD, c.startMode());
        cold.add(c.startMs());
        forkd.await(forkd.client.delete(c.instanceId()));
        for (int k = 0; k < 4; k++) {
          direct.add(directFork(control, seedChildren, seed.pid(), round * 4 + k));
          t0 = System.nanoTime();
          StartedInstance f = forkd.await(forkd.client.start(StartRequest.fork(seed.instanceId(), "fn1", "app1", 64,
              Map.of())));
          forkSeen.add(ms(t0));
          assertEquals(StartMode.FORK, f.startMode());
          fork.add(f.startMs());
          t0 = System.nanoTime();
          forkd.await(forkd.client.health());
          rpc.add(ms(t0));
          forkd.await(forkd.client.delete(f.instanceId()));
        }
      }
    }
    forkd.await(forkd.client.delete(seed.instanceId()));
    System.out.printf(Locale.ROOT, "forkd start times, p50 ms (n): runtime started bare %.2f (%d); forkd cold %.2f "
        + "(client sees %.2f); ratio cold/bare %.2f | fork order straight to the seed %.2f (%d); forkd fork %.2f "
        + "(client sees %.2f); ratio fork/direct %.2f | ratio forkd cold/forkd fork %.1f | an RPC round trip "
        + "(GET /v1/health) %.2f%n",
        p50(bare), bare.size(), p50(cold), p50(coldSeen), p50(cold) / p50(bare), p50(direct), direct.size(),
        p50(fork), p50(forkSeen), p50(fork) / p50(direct), p50(cold) / p50(fork), p50(rpc));
    assertWithin(cold, coldSeen, "cold start");
    assertWithin(fork, forkSeen, "fork");
  }

  /** forkd times a start from the request's arrival to its answer: inside what its client saw. */
  private static void assertWithin(List<Double> reported, List<Double> seen, String what) {
    for (int k = 0; k < reported.size(); k++) {
      assertTrue(reported.get(k) > 0 && reported.get(k) <= seen.get(k),
          what + " " + k + ": forkd reports " + reported.get(k) + " ms, its client saw " + seen.get(k) + " ms");
    }
  }

  /** python3 -m fdk started as a plain process until its listener exists. */
  private double bareStart(int round) throws Exception {
    Path dir = Files.createDirectories(once.tmp.resolve("bare-" + round));
    Path sock = dir.resolve("lsnr.sock");
    ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", "-m", "fdk", bundle.resolve("func.py").toString(),
        "handler").redirectErrorStream(true).redirectOutput(dir.resolve("output").toFile());
    pb.environment().put("PYTHONPATH", SDK.toString());
    pb.environment().put("FN_LISTENER", "unix:" + sock);
    pb.environment().put("FN_FORMAT", "http-stream");
    try (PathWatch.Watch watch = paths.watch(dir)) {
      long t0 = System.nanoTime();
      Process p = pb.start();
      PathWatch.Outcome o = watch.await(sock, t0 + 30_000_000_000L, p::isAlive);
      double took = ms(t0);
      p.destroyForcibly().waitFor();
      assertEquals(PathWatch.Outcome.APPEARED, o, Files.readString(dir.resolve("output")));
      return took;
    }
  }

  /** A fork order on our own control connection, until the child's listener exists; then kills the child. */
  private double directFork(SocketChannel control, Path seedChildren, long seedPid, int n) throws Exception {
    String id = "probe-" + n;
    Path dir = Files.createDirectory(seedChildren.resolve(id));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx-wx-wx"));
    Path output = Files.createFile(dir.resolve("output"));
    Files.setPosixFilePermissions(output, PosixFilePermissions.fromString("rw-----w-"));
    String inside = "/cleave/children/" + id;
    String order = new JsonObject().put("op", "fork").put("child_id", id).put("listener", "unix:" + inside + "/lsnr.sock")
        .put("stdout", inside + "/output").put("stderr", inside + "/output")
        .put("env", new JsonObject().put("FN_LISTENER", "unix:" + inside + "/lsnr.sock")).encode() + "\n";
    try (PathWatch.Watch watch = paths.watch(dir)) {
      long t0 = System.nanoTime();
      control.write(ByteBuffer.wrap(order.getBytes(StandardCharsets.UTF_8)));
      JsonObject answer = new JsonObject(readLine(control));
      BooleanSupplier always = () -> true;
      PathWatch.Outcome o = watch.await(dir.resolve("lsnr.sock"), t0 + 30_000_000_000L, always);
      double took = ms(t0);
      assertEquals(PathWatch.Outcome.APPEARED, o);
      assertTrue(answer.getBoolean("ok"), answer.encode());
      long nsPid = answer.getLong("pid");
      for (long child : ProcFs.children(seedPid)) {
        if (ProcFs.innermostPid(child) == nsPid) {
          Kill.pid(child);
        }
      }
      return took;
    }
  }

  private static String readLine(SocketChannel ch) throws Exception {
    ByteBuffer one = ByteBuffer.allocate(1);
    StringBuilder line = new StringBuilder();
    while (ch.read(one.clear()) == 1) {
      char c = (char) one.get(0);
      if (c == '\n') {
        return line.toString();
      }
      line.append(c);
    }
    throw new IllegalStateException("control connection closed");
  }

  private static double ms(long t0) {
    return (System.nanoTime() - t0) / 1e6;
  }

  private static double p50(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
