package io.cleave.forkd;

import io.cleave.common.model.StartMode;
import io.cleave.forkd.api.ForkdHealth;
import io.cleave.forkd.api.ForkdStats;
import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.RemoteRef;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Remote fork between two forkd processes in two network namespaces ("nodes" A and B, as in
 * kmod's tests): a real Python seed prepared on A through A's page server, children resumed on B
 * by B's forkd in lean containers of their own, serving calls with the seed's module state.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForkdRemoteForkTest {
  private static final int MEMORY_MB = 128;
  private static final int B_LOG_LIMIT_MB = 2;

  @RegisterExtension
  final TestWatcher showLogs = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      System.err.println("forkd A log:\n" + ForkdProcess.log(a.dataDir) + "\nforkd B log:\n" + ForkdProcess.log(b.dataDir));
    }
  };

  Path tmp;
  Path bundleA;
  Path bundleB;
  TwoNodes nodes;
  ForkdProcess a;
  ForkdProcess b;

  @BeforeAll
  void startTwoNodes() throws Exception {
    ForkdProcess.buildHelper();
    ForkdProcess.make("kmod");
    tmp = Files.createTempDirectory("forkd-remote");
    // Each node has its own copy of the bundle, as each node unpacks its own.
    bundleA = ForkdProcess.bundle(tmp.resolve("bundle-a"), "/sdkfunc/remote.py", "func.py");
    bundleB = ForkdProcess.bundle(tmp.resolve("bundle-b"), "/sdkfunc/remote.py", "func.py");
    nodes = TwoNodes.make();
    a = ForkdProcess.start(tmp.resolve("a"), Map.of("CLEAVE_FORKD_PAGESERVER_BIND", TwoNodes.IP_A), nodes.enter(0));
    // B's output cap is below the seed's memory: the page cache file the restorer sizes to the seed must not trip it.
    b = ForkdProcess.start(tmp.resolve("b"), Map.of("CLEAVE_FORKD_PAGESERVER_BIND", TwoNodes.IP_B,
        "CLEAVE_FORKD_UID_BASE", Integer.toString(ForkdProcess.UID_BASE + 20_000),
        "CLEAVE_FORKD_LOG_LIMIT_MB", Integer.toString(B_LOG_LIMIT_MB)), nodes.enter(1));
  }

  @AfterAll
  void stopTwoNodes() throws Exception {
    try {
      if (a != null) {
        a.stop();
      }
      if (b != null) {
        b.stop();
      }
    } finally {
      nodes.close();
      RunDirs.deleteTree(tmp);
    }
  }

  private static List<String> command() {
    return ForkdProcess.command("func.py");
  }

  private StartedInstance preparedSeed() throws Exception {
    StartedInstance seed = a.await(a.client.start(StartRequest.preparedSeed("fn-r", "app1", bundleA.toString(),
        MEMORY_MB, command(), ForkdProcess.env(Map.of()))));
    assertNotNull(seed.remote(), "a prepared seed answers its snapshot");
    return seed;
  }

  private StartedInstance remoteChild(RemoteRef ref) throws Exception {
    return b.await(b.client.start(StartRequest.remoteFork(ref, "fn-r", "app1", bundleB.toString(), MEMORY_MB,
        Map.of("CHILD_ENV", "b"))));
  }

  @Test
  void healthReportsEachNodesPageServer() throws Exception {
    ForkdHealth ha = a.await(a.client.health());
    ForkdHealth hb = b.await(b.client.health());
    assertTrue(ha.pageserver().matches(TwoNodes.IP_A.replace(".", "\\.") + ":\\d+"), ha.pageserver());
    assertTrue(hb.pageserver().matches(TwoNodes.IP_B.replace(".", "\\.") + ":\\d+"), hb.pageserver());
  }

  @Test
  void remoteChildrenServeCallsWithTheSeedsStateAndShareTheNodeCache() throws Exception {
    StartedInstance seed = preparedSeed();
    RemoteRef ref = seed.remote();
    assertEquals(a.await(a.client.health()).pageserver(), ref.pageserver());
    assertEquals(ref, a.await(a.client.status(seed.instanceId())).remote());
    // The local fork op still works on a prepared seed: it tells the seed's token.
    StartedInstance local = a.await(a.client.start(StartRequest.fork(seed.instanceId(), "fn-r", "app1", 64, Map.of())));
    JsonObject fromLocal = a.call(local.listener(), "local");
    a.await(a.client.delete(local.instanceId()));

    StartedInstance cold = b.await(b.client.start(StartRequest.cold("fn-r", "app1", bundleB.toString(), MEMORY_MB,
        command(), ForkdProcess.env(Map.of()))));
    b.call(cold.listener(), "cold");
    b.await(b.client.delete(cold.instanceId()));

    long served0 = pagesServed(ref);
    long prefetched0 = b.await(b.client.stats()).remoteForks().prefetchedPages();
    StartedInstance first = remoteChild(ref);
    assertEquals(StartMode.REMOTE_FORK, first.startMode());
    assertEquals(b.dataDir.resolve("run/instances/" + first.instanceId() + "/lsnr.sock").toString(), first.listener());
    JsonObject one = b.call(first.listener(), "one");
    assertEquals("one", one.getString("hello"));
    assertEquals(20000, one.getInteger("table"));
    assertEquals("17", one.getString("table_17"));
    assertEquals(42, one.getInteger("counter"), "the counter the seed's import set, counted on once");
    assertEquals(43, b.call(first.listener(), "two").getInteger("counter"));
    assertEquals(fromLocal.getString("token"), one.getString("token"), "state made once, in the seed");
    assertEquals(fromLocal.getInteger("loaded_by"), one.getInteger("loaded_by"));
    assertEquals("remote-fork", one.getString("mode"));
    assertEquals("unix:/cleave/run/lsnr.sock", one.getString("listener"));
    assertNotEquals(fromLocal.getDouble("random"), one.getDouble("random"), "random state reseeded");
    long served1 = pagesServed(ref);
    Path workingSet = cacheDir(ref).resolve(RemoteHandles.WORKING_SET);
    // The first child's restorer records what it touched while it runs, once it is quiet after its calls.
    long deadline = System.nanoTime() + 5_000_000_000L;
    long size = -1;
    while (System.nanoTime() < deadline) {
      Thread.sleep(300);
      long now = Files.exists(workingSet) ? Files.size(workingSet) : -1;
      if (now > 8 && now == size) {
        break;
      }
      size = now;
    }
    assertTrue(size > 8, "the first child's working set is recorded in the handle's cache dir");

    StartedInstance second = remoteChild(ref);
    JsonObject other = b.call(second.listener(), "one");
    assertEquals(42, other.getInteger("counter"), "each child starts from the seed's counter");
    assertEquals(one.getString("token"), other.getString("token"));
    assertNotEquals(one.getDouble("random"), other.getDouble("random"));
    long served2 = pagesServed(ref);
    long fromNetFirst = served1 - served0;
    long fromNetSecond = served2 - served1;
    assertTrue(fromNetFirst > 0, "the first child fetched pages from A");
    assertTrue(fromNetSecond * 2 < fromNetFirst, "the second child read most of them from B's page cache: "
        + fromNetFirst + " pages from A for the first, " + fromNetSecond + " for the second");
    assertTrue(Files.isDirectory(cacheDir(ref)), "one page cache dir for the handle");
    awaitStats(b, st -> st.remoteForks().prefetchedPages() > prefetched0,
        "the second child prefetched the recorded working set before it ran");
    System.out.printf("remote fork start on B: %.2f ms and %.2f ms; cold start on B %.2f ms (%.1fx, %.1fx faster)%n",
        first.startMs(), second.startMs(), cold.startMs(), cold.startMs() / first.startMs(),
        cold.startMs() / second.startMs());

    b.await(b.client.delete(first.instanceId()));
    b.await(b.client.delete(second.instanceId()));
    ForkdProcess.awaitGone(first.pid(), "first remote child's restorer");
    assertTrue(Files.isRegularFile(workingSet), "the handle's cache outlives its last child");

    // The next child after a quiet spell (its function's children idled out) reads the kept cache, not the network.
    StartedInstance third = remoteChild(ref);
    assertEquals(42, b.call(third.listener(), "three").getInteger("counter"));
    long fromNetThird = pagesServed(ref) - served2;
    assertTrue(fromNetThird * 2 < fromNetFirst, "the third child read the kept cache: " + fromNetFirst
        + " pages from A for the first, " + fromNetThird + " for the third");
    b.await(b.client.delete(third.instanceId()));

    // Once the handle is revoked, the next start is refused and the kept cache goes with it.
    a.await(a.client.delete(seed.instanceId()));
    ApiError revoked = failure(b, () -> remoteChild(ref));
    assertEquals(502, revoked.status(), revoked.getMessage());
    assertFalse(Files.exists(cacheDir(ref)), "a revoked handle's cache is removed");
  }

  /**
   * B's page cache dir of a handle (RemoteHandles names it by page server and handle): in B's home on
   * the children's tmpfs (its {@code data-dir} file names B's data dir), else on the data dir.
   */
  private Path cacheDir(RemoteRef ref) throws IOException {
    String name = ref.pageserver().replace(':', '_') + "_h" + ref.handle();
    String data = b.dataDir.toRealPath().toString();
    try (DirectoryStream<Path> homes = Files.newDirectoryStream(Path.of("/dev/shm"), RunDirs.HOME_PREFIX + "*")) {
      for (Path home : homes) {
        Path owner = home.resolve(RunDirs.OWNER);
        if (Files.isRegularFile(owner) && Files.readString(owner).equals(data)) {
          return home.resolve("pagecache").resolve(name);
        }
      }
    }
    return b.dataDir.resolve("run/pagecache").resolve(name);
  }

  @Test
  void remoteChildHasTheIsolationOfAnyInstance() throws Exception {
    StartedInstance seed = preparedSeed();
    StartedInstance child = remoteChild(seed.remote());
    JsonObject answer = b.call(child.listener(), "who");
    long restored = ProcFs.children(child.pid()).get(0);
    assertEquals(answer.getInteger("pid"), (int) ProcFs.innermostPid(restored), "the restorer's child serves calls");
    int uid = answer.getInteger("uid");
    assertTrue(uid >= ForkdProcess.UID_BASE + 20_000, "B's unprivileged uid, got " + uid);
    String status = Files.readString(Path.of("/proc/" + restored + "/status"));
    assertTrue(status.contains("\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid), status);
    assertTrue(status.contains("\nCapEff:\t0000000000000000"), status);
    assertTrue(status.contains("\nNoNewPrivs:\t1"), status);
    // The function is held to the node's output cap; its restorer is not (it writes the page cache).
    String fileSize = "Max file size             " + ((long) B_LOG_LIMIT_MB << 20);
    assertTrue(Files.readString(Path.of("/proc/" + restored + "/limits")).contains(fileSize), "the child's file size cap");
    assertFalse(Files.readString(Path.of("/proc/" + child.pid() + "/limits")).contains(fileSize), "the restorer's");
    for (String ns : List.of("pid", "mnt", "ipc", "uts")) {
      assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/" + ns)),
          Files.readSymbolicLink(Path.of("/proc/" + restored + "/ns/" + ns)), ns + " namespace");
    }
    String cgroup = Files.readString(Path.of("/proc/" + restored + "/cgroup"));
    assertTrue(cgroup.contains("i-" + child.instanceId()), cgroup);
    assertEquals(Long.toString((long) MEMORY_MB << 20),
        Files.readString(Cgroups.limitFile(Cgroups.memoryDir(restored))).strip(), "the memory limit");
    InstanceStatus status2 = b.await(b.client.status(child.instanceId()));
    assertEquals("running", status2.state());
    assertTrue(status2.pssBytes() > ProcFs.pssBytes(child.pid()), "the restored process's memory counts: " + status2);
    b.await(b.client.delete(child.instanceId()));
    a.await(a.client.delete(seed.instanceId()));
  }

  @Test
  void aBurstOfRemoteChildrenStartsInContainersPreparedAheadEachIsolated() throws Exception {
    StartedInstance seed = preparedSeed();
    RemoteRef ref = seed.remote();
    // The node's first remote child has B make remote slots ahead, each with a container waiting for its order.
    StartedInstance first = remoteChild(ref);
    b.await(b.client.delete(first.instanceId()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    ForkdHealth.Pool slots;
    while ((slots = b.await(b.client.health()).remoteSlots()).target() == 0 || slots.ready() < slots.target()) {
      assertTrue(System.nanoTime() < deadline, "B's remote slots made ahead within 30 s: " + slots);
      Thread.sleep(50);
    }
    assertEquals(8, slots.target(), "a burst's worth of remote slots");
    int burst = 4; // above the container pool's 2: without containers in the slots, the others are made in the burst
    Thread.sleep(30);
    long burstTicks = bootTicks();
    List<Future<StartedInstance>> starts = new ArrayList<>();
    for (int i = 0; i < burst; i++) {
      starts.add(b.client.start(StartRequest.remoteFork(ref, "fn-r", "app1", bundleB.toString(), MEMORY_MB,
          Map.of("CHILD_ENV", "b"))));
    }
    Set<String> netns = new HashSet<>();
    Set<String> pidns = new HashSet<>();
    for (Future<StartedInstance> start : starts) {
      StartedInstance child = b.await(start);
      assertEquals(42, b.call(child.listener(), "burst").getInteger("counter"));
      long restored = ProcFs.children(child.pid()).get(0);
      long init = parentPid(child.pid());
      assertTrue(startTicks(init) < burstTicks, "child " + child.instanceId() + "'s container was prepared before the"
          + " burst (init started at tick " + startTicks(init) + ", burst at " + burstTicks + ")");
      netns.add(Files.readSymbolicLink(Path.of("/proc/" + restored + "/ns/net")).toString());
      pidns.add(Files.readSymbolicLink(Path.of("/proc/" + restored + "/ns/pid")).toString());
      assertTrue(Files.readString(Path.of("/proc/" + restored + "/cgroup")).contains("i-" + child.instanceId()));
      assertEquals(Long.toString((long) MEMORY_MB << 20),
          Files.readString(Cgroups.limitFile(Cgroups.memoryDir(restored))).strip(), "the memory limit");
      b.await(b.client.delete(child.instanceId()));
    }
    assertEquals(burst, netns.size(), "a network namespace per child");
    assertEquals(burst, pidns.size(), "a pid namespace per child");
    a.await(a.client.delete(seed.instanceId()));
  }

  @Test
  void restorersHeldPerHandleRestoreABurstsChildrenAndEndWhenTheHandleIsRevoked() throws Exception {
    StartedInstance seed = preparedSeed();
    RemoteRef ref = seed.remote();
    StartedInstance first = remoteChild(ref);
    assertEquals(42, b.call(first.listener(), "first").getInteger("counter"));
    awaitWorkingSet(ref);
    // A child restored with the recorded working set has B hold restorers of the handle ready.
    StartedInstance second = remoteChild(ref);
    b.await(b.client.delete(first.instanceId()));
    b.await(b.client.delete(second.instanceId()));
    awaitHeld(HeldRestorers.PER_HANDLE, "restorers held for the handle");
    Thread.sleep(30);
    long burstTicks = bootTicks();
    List<Future<StartedInstance>> starts = new ArrayList<>();
    int last = HeldRestorers.PER_HANDLE - 1;
    for (int i = 0; i <= last; i++) {
      // The last start differs from the one the restorers were held for: its own order and limits.
      starts.add(b.client.start(StartRequest.remoteFork(ref, i == last ? "fn-other" : "fn-r", "app1",
          bundleB.toString(), i == last ? MEMORY_MB - 32 : MEMORY_MB, Map.of("CHILD_ENV", "b"))));
    }
    Set<String> pidns = new HashSet<>();
    Set<String> tokens = new HashSet<>();
    for (int i = 0; i <= last; i++) {
      StartedInstance child = b.await(starts.get(i));
      JsonObject answer = b.call(child.listener(), "held");
      assertEquals(42, answer.getInteger("counter"), "each child starts from the seed's counter");
      assertEquals(i == last ? "fn-other" : "fn-r", answer.getString("fn"), "the start's own order");
      assertEquals("remote-fork", answer.getString("mode"));
      tokens.add(answer.getString("token"));
      long restored = ProcFs.children(child.pid()).get(0);
      assertTrue(startTicks(child.pid()) < burstTicks, "child " + child.instanceId() + "'s restorer was held before"
          + " the burst (started at tick " + startTicks(child.pid()) + ", burst at " + burstTicks + ")");
      assertTrue(startTicks(restored) >= burstTicks, "its child was restored for the call, not ahead");
      pidns.add(Files.readSymbolicLink(Path.of("/proc/" + restored + "/ns/pid")).toString());
      assertTrue(Files.readString(Path.of("/proc/" + restored + "/cgroup")).contains("i-" + child.instanceId()));
      assertEquals(Long.toString((long) (i == last ? MEMORY_MB - 32 : MEMORY_MB) << 20),
          Files.readString(Cgroups.limitFile(Cgroups.memoryDir(restored))).strip(), "the start's memory limit");
      String status = Files.readString(Path.of("/proc/" + restored + "/status"));
      assertTrue(status.contains("\nCapEff:\t0000000000000000"), status);
      assertTrue(answer.getInteger("uid") >= ForkdProcess.UID_BASE + 20_000, "B's unprivileged uid");
      b.await(b.client.delete(child.instanceId()));
    }
    assertEquals(HeldRestorers.PER_HANDLE, pidns.size(), "a pid namespace per child");
    assertEquals(1, tokens.size(), "the seed's state in every child");

    // Revoking the handle ends the restorers held for it, and the handle's cache goes with them.
    awaitHeld(HeldRestorers.PER_HANDLE, "restorers held again after the burst");
    a.await(a.client.delete(seed.instanceId()));
    awaitHeld(0, "held restorers ended by the revoke");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (Files.exists(cacheDir(ref))) {
      assertTrue(System.nanoTime() < deadline, "the revoked handle's cache removed within 10 s");
      Thread.sleep(50);
    }
  }

  @Test
  void theNodeHoldsAtMostItsBoundAndTheHandleWantedLastGetsThem() throws Exception {
    List<String> fns = List.of("fn-x", "fn-y", "fn-z");
    List<StartedInstance> seeds = new ArrayList<>();
    for (String fn : fns) {
      StartedInstance seed = a.await(a.client.start(StartRequest.preparedSeed(fn, "app1", bundleA.toString(),
          MEMORY_MB, command(), ForkdProcess.env(Map.of()))));
      seeds.add(seed);
      RemoteRef ref = seed.remote();
      StartedInstance first = b.await(b.client.start(StartRequest.remoteFork(ref, fn, "app1", bundleB.toString(),
          MEMORY_MB, Map.of())));
      assertEquals(42, b.call(first.listener(), "first").getInteger("counter"));
      awaitWorkingSet(ref);
      StartedInstance second = b.await(b.client.start(StartRequest.remoteFork(ref, fn, "app1", bundleB.toString(),
          MEMORY_MB, Map.of())));
      b.await(b.client.delete(first.instanceId()));
      b.await(b.client.delete(second.instanceId()));
      if (fn.equals("fn-y")) {
        awaitHeldOf(Map.of("fn-x", HeldRestorers.PER_HANDLE, "fn-y", HeldRestorers.PER_HANDLE), "two handles' held");
      }
    }
    // A third handle's held restorers come from the one wanted least recently, never above the bound.
    awaitHeldOf(Map.of("fn-y", HeldRestorers.PER_HANDLE, "fn-z", HeldRestorers.PER_HANDLE),
        "the newest two handles' held restorers (the oldest gave its up)");
    for (StartedInstance seed : seeds) {
      a.await(a.client.delete(seed.instanceId()));
    }
    awaitHeldOf(Map.of(), "held restorers ended with their handles");
  }

  /** Until B's held restorers are {@code expected} by function (read from their orders), bounded. */
  private void awaitHeldOf(Map<String, Integer> expected, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      Map<String, Integer> held = new java.util.TreeMap<>();
      try (Stream<Path> dirs = Files.list(b.dataDir.resolve("run/instances"))) {
        for (Path d : dirs.filter(d -> Files.exists(d.resolve(RemoteLaunches.HELD_GO))
            && !Files.exists(d.resolve("lsnr.sock"))).toList()) {
          try {
            String fn = new JsonObject(Files.readString(d.resolve("order.json"))).getJsonObject("env").getString("FN_FN_ID");
            held.merge(fn, 1, Integer::sum);
          } catch (java.io.IOException gone) {
            // let go or dropped meanwhile
          }
        }
      }
      if (held.equals(new java.util.TreeMap<>(expected))) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, what + ": " + expected + " within 30 s, " + held + " now");
      Thread.sleep(50);
    }
  }

  /** Until the handle's working set is recorded on B (the first child wrote it, quiet after its call). */
  private void awaitWorkingSet(RemoteRef ref) throws Exception {
    Path workingSet = cacheDir(ref).resolve(RemoteHandles.WORKING_SET);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Files.exists(workingSet) || Files.size(workingSet) <= 8) {
      assertTrue(System.nanoTime() < deadline, "working set recorded within 10 s");
      Thread.sleep(50);
    }
  }

  /** Until B holds exactly {@code n} restorers (run dirs with the go FIFO and no child yet), bounded. */
  private void awaitHeld(int n, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      long held;
      try (Stream<Path> dirs = Files.list(b.dataDir.resolve("run/instances"))) {
        held = dirs.filter(d -> Files.exists(d.resolve(RemoteLaunches.HELD_GO))
            && !Files.exists(d.resolve("lsnr.sock"))).count();
      }
      if (held == n) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, what + ": " + n + " within 30 s, " + held + " now");
      Thread.sleep(50);
    }
  }

  /** Clock ticks since boot now (USER_HZ, as /proc/PID/stat counts a process's start). */
  private static long bootTicks() throws Exception {
    return (long) (Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]) * 100);
  }

  /** Field {@code n} (1-based) of /proc/PID/stat, counted after the command name. */
  private static String statField(long pid, int n) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[n - 3];
  }

  private static long parentPid(long pid) throws Exception {
    return Long.parseLong(statField(pid, 4));
  }

  private static long startTicks(long pid) throws Exception {
    return Long.parseLong(statField(pid, 22));
  }

  @Test
  void deletingTheSeedRevokesAndItsLazyChildDiesWithTheReason() throws Exception {
    StartedInstance seed = preparedSeed();
    StartedInstance child = remoteChild(seed.remote());
    assertEquals(42, b.call(child.listener(), "lazy").getInteger("counter"));
    a.await(a.client.delete(seed.instanceId()));
    InstanceStatus gone = b.awaitExit(child.instanceId());
    assertEquals(RemoteChildren.EXIT_LOST, gone.exitCode(), gone.toString());
    assertNotNull(gone.exitReason(), gone.toString());
    // Cut off while idle ("lost: ... revoked ...") or at a fault ("refused ...: unknown or revoked handle").
    assertTrue(gone.exitReason().startsWith("page server " + seed.remote().pageserver())
        && gone.exitReason().contains("revoked"), gone.exitReason());
    ApiError refused = failure(b, () -> remoteChild(seed.remote()));
    assertEquals(502, refused.status(), refused.getMessage());
    assertTrue(refused.getMessage().contains("unknown or revoked handle"), refused.getMessage());
    b.await(b.client.delete(child.instanceId()));
  }

  @Test
  void aLostPageServerEndsLazyChildrenAndComesBackWithTheSeedPreparedAgain() throws Exception {
    StartedInstance seed = preparedSeed();
    RemoteRef before = seed.remote();
    StartedInstance child = remoteChild(before);
    assertEquals(42, b.call(child.listener(), "lazy").getInteger("counter"));
    ProcessHandle server = a.process.descendants()
        .filter(p -> p.info().command().orElse("").endsWith("/cleave-pageserver")).findFirst().orElseThrow();
    server.destroyForcibly();

    InstanceStatus gone = b.awaitExit(child.instanceId());
    assertEquals(RemoteChildren.EXIT_LOST, gone.exitCode(), gone.toString());
    assertTrue(gone.exitReason().startsWith("page server " + before.pageserver() + " lost"), gone.exitReason());
    b.await(b.client.delete(child.instanceId()));

    RemoteRef after = awaitPreparedAgain(seed.instanceId(), before);
    assertEquals(before.pageserver(), after.pageserver(), "restarted on the port it had");
    assertEquals(before.pageserver(), a.await(a.client.health()).pageserver());
    StartedInstance again = remoteChild(after);
    assertEquals(42, b.call(again.listener(), "again").getInteger("counter"));
    b.await(b.client.delete(again.instanceId()));
    a.await(a.client.delete(seed.instanceId()));
  }

  /** Polls the seed's status until it answers a snapshot other than {@code old} (bounded). */
  private RemoteRef awaitPreparedAgain(String seedId, RemoteRef old) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      RemoteRef now = a.await(a.client.status(seedId)).remote();
      if (now != null && !now.equals(old)) {
        return now;
      }
      assertTrue(System.nanoTime() < deadline, "seed " + seedId + " not prepared again within 30 s");
      Thread.sleep(20);
    }
  }

  @Test
  void wrongKeyIsRefusedWith502AndLeavesNothing() throws Exception {
    StartedInstance seed = preparedSeed();
    RemoteRef ref = seed.remote();
    RemoteRef wrong = new RemoteRef(ref.pageserver(), ref.handle(), "0".repeat(32));
    int before = b.await(b.client.health()).instances();
    ApiError refused = failure(b, () -> remoteChild(wrong));
    assertEquals(502, refused.status(), refused.getMessage());
    assertTrue(refused.getMessage().contains("wrong key"), refused.getMessage());
    assertTrue(refused.getMessage().contains("exit code 65"), refused.getMessage());
    assertEquals(before, b.await(b.client.health()).instances());
    try (Stream<Path> left = Files.list(b.dataDir.resolve("run/instances"))) {
      assertEquals(List.of(), left.toList(), "run/instances");
    }
    assertFalse(Files.exists(cacheDir(ref)), "no page cache dir for the refused start");
    // Its cgroup (made ahead with its run dir, ChildSlots) went with it: every remote child's
    // cgroup left belongs to a slot still staged for a later start.
    Set<String> staged;
    try (Stream<Path> slots = Files.list(b.dataDir.resolve("run/slots"))) {
      staged = slots.map(p -> "i-" + p.getFileName()).collect(Collectors.toSet());
    }
    for (String parent : Files.readAllLines(b.dataDir.resolve("run/forkd-cgroups"))) {
      for (String cgroup : Cgroups.children(Path.of(parent.strip()))) {
        assertTrue(!cgroup.startsWith("i-r-") || staged.contains(cgroup), cgroup + " left under " + parent);
      }
    }
    ApiError bad = failure(b, () -> remoteChild(new RemoteRef(ref.pageserver(), ref.handle(), "xyz")));
    assertEquals(400, bad.status(), bad.getMessage());
    a.await(a.client.delete(seed.instanceId()));
  }

  @Test
  void statsCountRemoteForksWhatChildrenFetchedAndWhatThePageServerServed() throws Exception {
    ForkdStats a0 = a.await(a.client.stats());
    ForkdStats b0 = b.await(b.client.stats());
    StartedInstance seed = preparedSeed();
    StartedInstance first = remoteChild(seed.remote());
    assertEquals(42, b.call(first.listener(), "one").getInteger("counter"));
    StartedInstance second = remoteChild(seed.remote());
    assertEquals(42, b.call(second.listener(), "one").getInteger("counter"));

    // The restorers report within a second or so; A's page server is asked when stats are.
    ForkdStats b1 = awaitStats(b, s -> s.remoteForks().networkPages() > b0.remoteForks().networkPages()
        && s.remoteForks().cachePages() > b0.remoteForks().cachePages()
        && s.remoteForks().networkPages() - b0.remoteForks().networkPages()
            == a.await(a.client.stats()).pageserver().pagesServed() - a0.pageserver().pagesServed(),
        "B's children fetched from A's page server exactly what it served, the second child from B's cache");
    ForkdStats a1 = a.await(a.client.stats());
    assertEquals(b0.remoteForks().started() + 2, b1.remoteForks().started(), "two remote forks started on B");
    assertEquals(a0.remoteForks().started(), a1.remoteForks().started(), "none on A");
    // Besides the two children's restorers, those B holds for the handle once its working set is recorded.
    long connections = a1.pageserver().connections() - a0.pageserver().connections();
    assertTrue(connections >= 2 && connections <= 2 + HeldRestorers.PER_HANDLE,
        "two restorers fetched A's descriptor, and at most the restorers B holds: " + connections);
    long pages = a1.pageserver().pagesServed() - a0.pageserver().pagesServed();
    assertEquals(pages * 4096, a1.pageserver().bytesSent() - a0.pageserver().bytesSent());
    assertTrue(b1.remoteForks().networkBytes() - b0.remoteForks().networkBytes() > pages * 4096,
        "B read the pages and two descriptors from the network");
    assertEquals(0, b1.pageserver().pagesServed() - b0.pageserver().pagesServed(), "B's own page server served nothing");

    ApiError wrongKey = failure(b, () -> remoteChild(new RemoteRef(seed.remote().pageserver(), seed.remote().handle(),
        "0".repeat(32))));
    assertEquals(502, wrongKey.status());
    b.await(b.client.delete(first.instanceId()));
    b.await(b.client.delete(second.instanceId()));
    a.await(a.client.delete(seed.instanceId()));
    failure(b, () -> remoteChild(seed.remote()));

    ForkdStats b2 = b.await(b.client.stats());
    ForkdStats a2 = a.await(a.client.stats());
    assertEquals(failed(b1, "wrong-key") + 1, failed(b2, "wrong-key"), b2.toString());
    assertEquals(failed(b1, "revoked") + 1, failed(b2, "revoked"), b2.toString());
    assertEquals(b1.remoteForks().started(), b2.remoteForks().started());
    assertTrue(b2.remoteForks().networkPages() >= b1.remoteForks().networkPages()
        && b2.remoteForks().cachePages() >= b1.remoteForks().cachePages(), "gone children's fetches stay counted: " + b2);
    assertEquals(a1.pageserver().pagesServed(), a2.pageserver().pagesServed(), "a revoked handle's pages stay counted");
    assertEquals(a0.sinceMs(), a2.sinceMs(), "the same forkd counted throughout");
  }

  private static long failed(ForkdStats s, String reason) {
    return s.remoteForks().failed().getOrDefault(reason, 0L);
  }

  /** Polls a node's stats until {@code ok} holds (bounded). */
  private static ForkdStats awaitStats(ForkdProcess node, StatsCheck ok, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      ForkdStats s = node.await(node.client.stats());
      if (ok.test(s)) {
        return s;
      }
      assertTrue(System.nanoTime() < deadline, what + " within 20 s; last: " + s);
      Thread.sleep(100);
    }
  }

  private interface StatsCheck {
    boolean test(ForkdStats s) throws Exception;
  }

  private interface Start {
    StartedInstance run() throws Exception;
  }

  private static ApiError failure(ForkdProcess node, Start start) {
    ExecutionException e = assertThrows(ExecutionException.class, start::run);
    return assertInstanceOf(ApiError.class, e.getCause());
  }

  /** Pages A's page server has sent for the handle (libcleave's cleave_stats on A's unix socket). */
  private long pagesServed(RemoteRef ref) {
    LibCleave lib = LibCleave.load(a.dataDir.resolve("run/runtime/kmod").resolve(ForkPrimitive.LIBRARY));
    ByteBuffer out = ByteBuffer.allocateDirect(LibCleave.STATS_BYTES).order(ByteOrder.nativeOrder());
    int r = lib.cleave_stats(LibCleave.handleArgs(a.dataDir.resolve("run/pageserver/ps.sock"), ref.handle(), ref.key()),
        out);
    assertEquals(0, r, lib.cleave_last_error());
    return out.getLong(LibCleave.STATS_PAGES_SERVED);
  }
}
