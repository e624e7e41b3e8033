package io.cleave.forkd;

import io.cleave.forkd.api.ForkdHealth;
import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.StartMode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cold instances, seeds and forks through a real forkd, running the real Python runtime with probe
 * functions (test resources under /probe): isolation, limits, exits, cleanup, bad input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForkdInstancesTest {
  @RegisterExtension
  final ForkdOnce once = new ForkdOnce("forkd-it");
  ForkdProcess forkd;
  Path bundle;

  @BeforeAll
  void startForkd() throws Exception {
    forkd = once.start(Map.of());
    bundle = ForkdProcess.bundle(once.tmp.resolve("bundle"));
  }

  private StartedInstance cold(int memoryMb) throws Exception {
    return forkd.await(forkd.client.start(StartRequest.cold("fn1", "app1", bundle.toString(), memoryMb,
        ForkdProcess.command("probe.py"), ForkdProcess.env(Map.of("TEST_VAR", "v")))));
  }

  private StartedInstance seed(String module) throws Exception {
    return forkd.await(forkd.client.start(StartRequest.seed("fn1", "app1", bundle.toString(), 128,
        ForkdProcess.command(module), ForkdProcess.env(Map.of("TEST_VAR", "seeded")))));
  }

  private StartedInstance fork(String seedId, Map<String, String> env) throws Exception {
    return forkd.await(forkd.client.start(StartRequest.fork(seedId, "fn1", "app1", 64, env)));
  }

  private ApiError failure(StartRequest r) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> forkd.await(forkd.client.start(r)));
    assertTrue(e.getCause() instanceof ApiError, "expected an ApiError, got " + e.getCause());
    return (ApiError) e.getCause();
  }

  @Test
  void coldInstanceServesCallsAndReportsItself() throws Exception {
    StartedInstance s = cold(128);
    assertEquals(StartMode.COLD, s.startMode());
    assertTrue(s.listener().endsWith("/lsnr.sock") && Files.exists(Path.of(s.listener())));
    JsonObject hello = forkd.call(s.listener(), "hello");
    assertEquals("call-1", hello.getString("hello"));

    InstanceStatus st = forkd.await(forkd.client.status(s.instanceId()));
    assertEquals("running", st.state());
    assertNull(st.exitCode());
    assertFalse(st.oomKilled());
    assertTrue(st.memoryBytes() > 1 << 20, "cgroup memory " + st.memoryBytes());
    assertTrue(st.pssBytes() > 1 << 20, "pss " + st.pssBytes());

    long before = st.logBytes();
    forkd.call(s.listener(), "print:first");
    long mid = forkd.await(forkd.client.status(s.instanceId())).logBytes();
    forkd.call(s.listener(), "print:second");
    String slice = forkd.await(forkd.client.logs(s.instanceId(), mid)).toString();
    assertEquals("out:second\nerr:second\n", slice);
    assertTrue(forkd.await(forkd.client.logs(s.instanceId(), before)).toString().startsWith("out:first\nerr:first\n"));

    forkd.await(forkd.client.delete(s.instanceId()));
  }

  @Test
  void coldInstanceIsIsolated() throws Exception {
    Path dataDir = forkd.dataDir.toRealPath();
    StartedInstance s = cold(128);
    JsonObject in = forkd.call(s.listener(), "inspect:" + String.join("\n", dataDir.toString(), "/work",
        forkd.socket.toString()));
    // Its own pid namespace: the container's init (1) and itself (2), nothing of the host.
    assertEquals(new JsonArray(List.of(1, 2)), in.getJsonArray("procs"));
    assertEquals(2, in.getInteger("pid"));
    int uid = in.getInteger("uid");
    assertTrue(uid >= ForkdProcess.UID_BASE && uid < ForkdProcess.UID_BASE + 100_000, "uid " + uid);
    assertEquals(uid, in.getInteger("euid"));
    assertEquals(uid, in.getInteger("gid"));
    assertEquals(new JsonArray(), in.getJsonArray("groups"));
    assertEquals("0000000000000000", in.getString("cap_eff"));
    assertEquals("0000000000000000", in.getString("cap_prm"));
    assertEquals("0000000000000000", in.getString("cap_bnd"));
    assertEquals("1", in.getString("no_new_privs"));
    JsonObject writable = in.getJsonObject("writable");
    assertFalse(writable.getBoolean("/"));
    assertFalse(writable.getBoolean("/function"));
    assertFalse(writable.getBoolean("/usr"));
    assertFalse(writable.getBoolean("/etc"));
    assertTrue(writable.getBoolean("/tmp"));
    assertFalse(writable.getBoolean("/cleave/run"), "the run dir closes once the instance is ready");
    assertEquals("/function", in.getString("cwd"));
    assertEquals(s.instanceId(), in.getString("hostname"));
    // A minimal root: forkd's data dir (other instances, its socket) and the host's are not in it.
    JsonObject exists = in.getJsonObject("exists");
    assertFalse(exists.getBoolean(dataDir.toString()), "data dir visible inside: " + exists);
    assertFalse(exists.getBoolean(forkd.socket.toString()));
    assertFalse(exists.getBoolean("/work"));
    // Its listener now belongs to root: it cannot swap it for a link to a host socket.
    JsonObject swap = forkd.call(s.listener(), "swap");
    assertEquals("Permission denied", swap.getString("unlink"), swap.encode());
    assertEquals("Permission denied", swap.getString("rename"), swap.encode());
    assertEquals("call-1", forkd.call(s.listener(), "hello").getString("hello"), "the listener still serves");
    JsonObject env = in.getJsonObject("env");
    assertEquals("unix:/cleave/run/lsnr.sock", env.getString("FN_LISTENER"));
    assertEquals("http-stream", env.getString("FN_FORMAT"));
    assertEquals("fn1", env.getString("FN_FN_ID"));
    assertEquals("app1", env.getString("FN_APP_ID"));
    assertEquals("128", env.getString("FN_MEMORY"));
    assertEquals("v", env.getString("TEST_VAR"));
    // On the host side the instance runs in its own cgroup, as that uid.
    Path cgroup = Cgroups.memoryDir(s.pid());
    assertTrue(cgroup.getFileName().toString().equals("i-" + s.instanceId()), cgroup.toString());
    assertEquals(Long.toString(128L << 20), Files.readString(Cgroups.limitFile(cgroup)).trim());
    forkd.await(forkd.client.delete(s.instanceId()));
    assertFalse(Files.exists(cgroup), "cgroup left behind: " + cgroup);
    assertFalse(Files.exists(Path.of(s.listener()).getParent()), "run dir left behind");
    assertTrue(ProcessHandle.of(s.pid()).isEmpty(), "instance still running after delete");
  }

  @Test
  void memoryHogIsOomKilledAndReported() throws Exception {
    StartedInstance s = cold(48);
    assertThrows(ExecutionException.class, () -> forkd.await(forkd.callAsync(s.listener(), "hog")));
    InstanceStatus st = forkd.awaitExit(s.instanceId());
    assertEquals("exited", st.state());
    assertTrue(st.oomKilled(), "oom_killed not reported: " + st);
    assertEquals(9, st.signal());
    assertNull(st.exitCode());
    forkd.await(forkd.client.delete(s.instanceId()));

    // A fork child is bounded by its own cgroup: it dies, its seed and sibling do not.
    StartedInstance seed = seed("probe.py");
    StartedInstance hog = fork(seed.instanceId(), Map.of());
    StartedInstance sibling = fork(seed.instanceId(), Map.of());
    assertThrows(ExecutionException.class, () -> forkd.await(forkd.callAsync(hog.listener(), "hog")));
    InstanceStatus hs = forkd.awaitExit(hog.instanceId());
    assertTrue(hs.oomKilled(), "oom_killed not reported for a fork child: " + hs);
    assertEquals(9, hs.signal());
    assertEquals("running", forkd.await(forkd.client.status(seed.instanceId())).state());
    assertFalse(forkd.await(forkd.client.status(seed.instanceId())).oomKilled());
    assertEquals("call-1", forkd.call(sibling.listener(), "hello").getString("hello"));
    forkd.await(forkd.client.delete(hog.instanceId()));
    forkd.await(forkd.client.delete(sibling.instanceId()));
    forkd.await(forkd.client.delete(seed.instanceId()));
  }

  @Test
  void forkBombStopsAtThePidsLimit() throws Exception {
    StartedInstance bomb = cold(256);
    Path pidsCgroup = Cgroups.dir(bomb.pid(), "pids");
    JsonObject result = forkd.call(bomb.listener(), "forkbomb");
    int started = result.getInteger("started");
    assertTrue(started > 0 && started < ForkdProcess.PIDS_MAX, "bomb started " + started);
    assertEquals("Resource temporarily unavailable", result.getString("error"));
    // The node is unharmed: forkd answers and starts another instance while the bomb holds its pids.
    assertTrue(forkd.await(forkd.client.health()).ok());
    StartedInstance other = cold(128);
    assertEquals("call-1", forkd.call(other.listener(), "hello").getString("hello"));
    List<Long> bombPids = Files.readAllLines(pidsCgroup.resolve("cgroup.procs")).stream().map(Long::parseLong).toList();
    assertTrue(bombPids.size() >= started, "bomb processes " + bombPids.size());
    forkd.await(forkd.client.delete(bomb.instanceId()));
    assertFalse(Files.exists(pidsCgroup));
    for (long pid : bombPids) {
      assertTrue(ProcessHandle.of(pid).isEmpty(), "bomb process " + pid + " survived");
    }
    forkd.await(forkd.client.delete(other.instanceId()));
  }

  @Test
  void exitCodesOfColdAndForkedInstances() throws Exception {
    StartedInstance c = cold(64);
    assertThrows(ExecutionException.class, () -> forkd.await(forkd.callAsync(c.listener(), "exit:3")));
    InstanceStatus cs = forkd.awaitExit(c.instanceId());
    assertEquals(3, cs.exitCode());
    assertNull(cs.signal());
    assertFalse(cs.oomKilled());
    forkd.await(forkd.client.delete(c.instanceId()));

    StartedInstance seed = seed("probe.py");
    StartedInstance child = fork(seed.instanceId(), Map.of());
    assertThrows(ExecutionException.class, () -> forkd.await(forkd.callAsync(child.listener(), "exit:5")));
    InstanceStatus fs = forkd.awaitExit(child.instanceId());
    assertEquals(5, fs.exitCode(), fs.toString());
    forkd.await(forkd.client.delete(child.instanceId()));
    forkd.await(forkd.client.delete(seed.instanceId()));
  }

  /**
   * A fork child's cgroup (a slot made ahead, limited when the fork is ordered, without reading
   * what it held): memory+swap bounded like memory, the cpu weight and quota of a 64 MB instance,
   * and a burst as large as the quota, where the kernel has them (cgroup v1).
   */
  private static void assertForkSlotLimits(long pid, Path memoryCgroup) throws IOException {
    Path memsw = memoryCgroup.resolve("memory.memsw.limit_in_bytes");
    if (Files.exists(memsw)) {
      assertEquals(Long.toString(64L << 20), Files.readString(memsw).trim(), "memory+swap");
    }
    if (!Files.exists(memoryCgroup.resolve("memory.limit_in_bytes"))) {
      return;
    }
    Path cpu = Cgroups.dir(pid, "cpu");
    if (!Files.exists(cpu.resolve("cpu.shares"))) {
      return;
    }
    assertEquals("64", Files.readString(cpu.resolve("cpu.shares")).trim(), "cpu shares");
    long quota = Long.parseLong(Files.readString(cpu.resolve("cpu.cfs_quota_us")).trim());
    Path burst = cpu.resolve("cpu.cfs_burst_us");
    if (quota > 0 && Files.exists(burst)) {
      assertEquals(Long.toString(quota), Files.readString(burst).trim(), "cpu burst");
    }
  }

  @Test
  void seedForksChildrenEachInItsOwnCgroup() throws Exception {
    StartedInstance seed = seed("probe.py");
    assertNull(seed.listener());
    assertEquals(1, forkd.await(forkd.client.health()).seeds());
    Path seedCgroup = Cgroups.memoryDir(seed.pid());
    List<StartedInstance> children = new ArrayList<>();
    Set<Long> pids = new HashSet<>();
    Set<Double> randoms = new HashSet<>();
    Set<Path> cgroups = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      StartedInstance child = fork(seed.instanceId(), Map.of("TEST_CHILD", Integer.toString(i)));
      children.add(child);
      assertEquals(StartMode.FORK, child.startMode());
      assertTrue(pids.add(child.pid()), "host pids must differ");
      assertNotEquals(seed.pid(), child.pid());
      Path cg = Cgroups.memoryDir(child.pid());
      assertTrue(cg.getFileName().toString().startsWith("slot-"), cg.toString());
      assertNotEquals(seedCgroup, cg);
      assertTrue(cgroups.add(cg), "children share a cgroup: " + cg);
      assertEquals(Long.toString(64L << 20), Files.readString(Cgroups.limitFile(cg)).trim());
      assertForkSlotLimits(child.pid(), cg);
      JsonObject in = forkd.call(child.listener(), "inspect");
      // A copy of the seed: its module state and birth pid, with its own pid, env and random state.
      assertEquals(20000, in.getInteger("table"));
      assertEquals(2, in.getInteger("born"));
      assertNotEquals(2, in.getInteger("pid"));
      assertEquals(Integer.toString(i), in.getJsonObject("env").getString("TEST_CHILD"));
      assertEquals("unix:/cleave/children/" + child.instanceId() + "/lsnr.sock",
          in.getJsonObject("env").getString("FN_LISTENER"));
      assertEquals("0000000000000000", in.getString("cap_eff"));
      assertTrue(randoms.add(in.getDouble("random")), "children share random state");
      forkd.call(child.listener(), "print:child" + i);
      assertEquals("out:child" + i + "\nerr:child" + i + "\n",
          forkd.await(forkd.client.logs(child.instanceId(), 0)).toString());
    }
    // Deleting a child kills its process and removes its dir; its cgroup is kept for a later
    // child, empty and with nothing charged (ForkdSlotReuseTest); its siblings serve on.
    StartedInstance gone = children.remove(0);
    Path goneCgroup = Cgroups.memoryDir(gone.pid());
    forkd.await(forkd.client.delete(gone.instanceId()));
    assertTrue(!Files.exists(goneCgroup) || Files.readString(goneCgroup.resolve("cgroup.procs")).isEmpty(), goneCgroup.toString());
    assertFalse(Files.exists(Path.of(gone.listener()).getParent()));
    ForkdProcess.awaitGone(gone.pid(), "deleted fork child");
    // Deleting the seed kills the seed only.
    forkd.await(forkd.client.delete(seed.instanceId()));
    assertTrue(ProcessHandle.of(seed.pid()).isEmpty(), "seed survived its delete");
    assertFalse(Files.exists(seedCgroup));
    for (StartedInstance child : children) {
      assertEquals("call-1", forkd.call(child.listener(), "hello").getString("hello"));
    }
    ApiError e = failure(StartRequest.fork(seed.instanceId(), "fn1", "app1", 64, Map.of()));
    assertEquals(404, e.status());
    Path forksDir = Path.of(children.get(0).listener()).getParent().getParent();
    for (StartedInstance child : children) {
      forkd.await(forkd.client.delete(child.instanceId()));
    }
    assertFalse(Files.exists(forksDir), "seed's children dir left behind");
  }

  @Test
  void seedRefusalAndDeadInstancesAreCleanErrors() throws Exception {
    // A seed that may not start processes answers the fork order with its reason.
    StartedInstance seed = seed("no_fork.py");
    Set<String> before = runDirs();
    ApiError refused = failure(StartRequest.fork(seed.instanceId(), "fn1", "app1", 64, Map.of()));
    assertEquals(502, refused.status());
    assertTrue(refused.getMessage().contains("refused the fork: fork failed"), refused.getMessage());
    assertEquals(before, runDirs());
    forkd.await(forkd.client.delete(seed.instanceId()));

    // An instance whose listener is a link to a host socket (forkd's own here) is refused.
    before = runDirs();
    ApiError link = failure(StartRequest.cold("fn1", "app1", bundle.toString(), 64,
        ForkdProcess.command("link_listener.py"), ForkdProcess.env(Map.of("TEST_SYMLINK", forkd.socket.toString()))));
    assertEquals(502, link.status());
    assertTrue(link.getMessage().contains("not a socket"), link.getMessage());
    assertEquals(before, runDirs());

    ApiError dies = failure(StartRequest.cold("fn1", "app1", bundle.toString(), 64, List.of("/usr/bin/python3", "-c",
        "print('about to fail', flush=True); raise SystemExit(7)"), Map.of()));
    assertEquals(502, dies.status());
    assertTrue(dies.getMessage().contains("exit code 7") && dies.getMessage().contains("about to fail"),
        dies.getMessage());
  }

  @Test
  void badRequestsGetClearErrorsAndChangeNothing() throws Exception {
    StartedInstance cold = cold(64);
    Set<String> dirs = runDirs();
    Set<String> cgroups = Cgroups.children(Cgroups.memoryDir(cold.pid()).getParent());
    ForkdHealth health = forkd.await(forkd.client.health());

    ApiError e = failure(StartRequest.fork("s-000000000000", "fn1", "app1", 64, Map.of()));
    assertEquals(404, e.status());
    assertTrue(e.getMessage().contains("s-000000000000"), e.getMessage());
    e = failure(StartRequest.fork(cold.instanceId(), "fn1", "app1", 64, Map.of()));
    assertEquals(400, e.status());
    assertTrue(e.getMessage().contains("not a seed"), e.getMessage());
    e = failure(StartRequest.cold("fn1", "app1", once.tmp.resolve("no-such-bundle").toString(), 64,
        ForkdProcess.command("probe.py"), Map.of()));
    assertEquals(400, e.status());
    assertTrue(e.getMessage().contains("bundle_dir"), e.getMessage());
    e = failure(StartRequest.cold("fn1", "app1", bundle.toString(), 64, List.of("/usr/bin/no-such-python"), Map.of()));
    assertEquals(400, e.status());
    assertTrue(e.getMessage().contains("command[0]"), e.getMessage());
    e = failure(StartRequest.cold("fn1", "app1", bundle.toString(), 64, List.of("python3"), Map.of()));
    assertEquals(400, e.status());
    e = failure(StartRequest.cold("fn1", "app1", bundle.toString(), 64, List.of("/function/probe.py"), Map.of()));
    assertEquals(400, e.status());
    assertTrue(e.getMessage().contains("not an executable"), e.getMessage());
    e = failure(StartRequest.cold("fn1", "app1", bundle.toString(), 64, List.of(), Map.of()));
    assertEquals(400, e.status());
    e = failure(StartRequest.cold("fn1", "app1", bundle.toString(), 4, ForkdProcess.command("probe.py"), Map.of()));
    assertEquals(400, e.status());
    assertTrue(e.getMessage().contains("memory_mb"), e.getMessage());
    e = failure(new StartRequest("fn1", "app1", bundle.toString(), 64, ForkdProcess.command("probe.py"), Map.of(), null, false, null, null, null,
        null, null, null, null));
    assertEquals(400, e.status());
    e = failure(StartRequest.cold("fn1", "app1", bundle.toString(), 64, ForkdProcess.command("probe.py"), Map.of("A=B", "x")));
    assertEquals(400, e.status());
    e = failure(StartRequest.cold(null, "app1", bundle.toString(), 64, ForkdProcess.command("probe.py"), Map.of()));
    assertEquals(400, e.status());
    ExecutionException unknown = assertThrows(ExecutionException.class,
        () -> forkd.await(forkd.client.status("c-000000000000")));
    assertEquals(404, ((ApiError) unknown.getCause()).status());
    unknown = assertThrows(ExecutionException.class, () -> forkd.await(forkd.client.delete("c-000000000000")));
    assertEquals(404, ((ApiError) unknown.getCause()).status());

    assertEquals(dirs, runDirs());
    assertEquals(cgroups, Cgroups.children(Cgroups.memoryDir(cold.pid()).getParent()));
    ForkdHealth after = forkd.await(forkd.client.health());
    assertEquals(health.instances(), after.instances());
    assertEquals(health.seeds(), after.seeds());
    forkd.await(forkd.client.delete(cold.instanceId()));
  }

  private Set<String> runDirs() throws Exception {
    Set<String> out = new HashSet<>();
    for (String sub : List.of("run/instances", "run/forks")) {
      try (Stream<Path> s = Files.walk(forkd.dataDir.resolve(sub))) {
        s.forEach(p -> out.add(p.toString()));
      }
    }
    return out;
  }
}
