package io.cleave.forkd;

import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** forkd's own life: clean shutdown, recovery after a crash, one forkd per data dir. */
class ForkdLifecycleTest {
  Path tmp;
  Path bundle;
  /** forkd's dir on the tmpfs for fork children's run dirs, as {@link #populate} found it. */
  Path tmpfsHome;

  @BeforeEach
  void setUp() throws Exception {
    ForkdProcess.buildHelper();
    tmp = Files.createTempDirectory("forkd-lc");
    bundle = ForkdProcess.bundle(tmp.resolve("bundle"));
  }

  @AfterEach
  void tearDown() {
    RunDirs.deleteTree(tmp);
  }

  /** Starts a cold instance, a seed and a fork; answers their host pids and cgroup dirs. */
  private List<Long> populate(ForkdProcess forkd, List<Path> cgroups) throws Exception {
    StartedInstance cold = forkd.await(forkd.client.start(StartRequest.cold("fn1", "app1", bundle.toString(), 64,
        ForkdProcess.command("probe.py"), ForkdProcess.env(Map.of()))));
    StartedInstance seed = forkd.await(forkd.client.start(StartRequest.seed("fn1", "app1", bundle.toString(), 64,
        ForkdProcess.command("probe.py"), ForkdProcess.env(Map.of()))));
    StartedInstance child = forkd.await(forkd.client.start(StartRequest.fork(seed.instanceId(), "fn1", "app1", 64,
        Map.of())));
    // Fork children's run dirs live on the tmpfs (CLEAVE_FORKD_CHILDREN_TMPFS, /dev/shm), behind
    // run/forks/<seed id>: the fork's socket is there, in forkd's home on it.
    Path listener = Path.of(child.listener()).toRealPath();
    assertEquals("tmpfs", Files.getFileStore(listener).type(), "a fork child's run dir on the tmpfs: " + listener);
    assertTrue(listener.startsWith(Path.of("/dev/shm")), listener.toString());
    tmpfsHome = listener.getParent().getParent().getParent();
    List<Long> pids = List.of(cold.pid(), seed.pid(), child.pid());
    for (long pid : pids) {
      cgroups.add(Cgroups.memoryDir(pid));
      cgroups.add(Cgroups.dir(pid, "pids"));
    }
    return pids;
  }

  private static void assertGone(List<Long> pids, List<Path> cgroups, Path data) throws Exception {
    for (long pid : pids) {
      ForkdProcess.awaitGone(pid, "instance process; " + ForkdProcess.log(data));
    }
    for (Path cg : cgroups) {
      assertFalse(Files.exists(cg), "cgroup left behind: " + cg + "; " + ForkdProcess.log(data));
    }
  }

  private static long entries(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test
  void sigtermKillsEverythingAndRemovesCgroups() throws Exception {
    ForkdProcess forkd = ForkdProcess.start(tmp.resolve("data"), Map.of());
    List<Path> cgroups = new ArrayList<>();
    List<Long> pids;
    try {
      pids = populate(forkd, cgroups);
    } finally {
      forkd.stop();
    }
    Path parent = cgroups.get(0).getParent();
    assertGone(pids, cgroups, tmp.resolve("data"));
    assertFalse(Files.exists(parent), "forkd's cgroup parent left behind: " + parent);
    assertEquals(0, entries(tmp.resolve("data/run/instances")));
    assertEquals(0, entries(tmp.resolve("data/run/forks")));
    assertFalse(Files.exists(tmpfsHome), "forkd's dir on the tmpfs left behind: " + tmpfsHome);
    assertFalse(Files.exists(forkd.socket));
  }

  @Test
  void restartAfterACrashCleansLeftovers() throws Exception {
    Path data = tmp.resolve("data");
    ForkdProcess first = ForkdProcess.start(data, Map.of());
    List<Path> cgroups = new ArrayList<>();
    List<Long> pids;
    try {
      pids = populate(first, cgroups);
    } finally {
      first.crash();
    }
    assertTrue(Files.exists(cgroups.get(0)), "a crash leaves cgroups behind");
    assertTrue(entries(data.resolve("run/instances")) > 0, "a crash leaves run dirs behind");

    ForkdProcess second = ForkdProcess.start(data, Map.of());
    try {
      assertGone(pids, cgroups, data);
      assertEquals(0, entries(data.resolve("run/instances")));
      assertEquals(0, entries(data.resolve("run/forks")));
      // The new forkd's own (empty) slots and page cache dirs are there; nothing of the crashed one's.
      assertEquals(List.of("data-dir", "pagecache", "slots"),
          Files.list(tmpfsHome).map(p -> p.getFileName().toString()).sorted().toList(),
          "the crashed forkd's children run dirs on the tmpfs are gone");
      assertEquals(0, entries(tmpfsHome.resolve("pagecache")), "the crashed forkd's page caches are gone");
      assertEquals(data.toRealPath().toString(), Files.readString(tmpfsHome.resolve("data-dir")));
      assertTrue(ForkdProcess.log(data).contains("removing leftover cgroups"), ForkdProcess.log(data));
      // And it works as before.
      StartedInstance cold = second.await(second.client.start(StartRequest.cold("fn1", "app1", bundle.toString(), 64,
          ForkdProcess.command("probe.py"), ForkdProcess.env(Map.of()))));
      assertEquals("call-1", second.call(cold.listener(), "hello").getString("hello"));
    } finally {
      second.stop();
    }
  }

  @Test
  void tmpfsDirsOfForkdsWhoseDataDirIsGoneAreSweptWhenAForkdStarts() throws Exception {
    // As forkds killed outright leave them: one whose data dir was deleted since, one whose still exists.
    String tag = Long.toHexString(ProcessHandle.current().pid()) + Long.toHexString(System.nanoTime());
    Path orphan = Path.of("/dev/shm", "cleave-forkd-orphan" + tag);
    Path kept = Path.of("/dev/shm", "cleave-forkd-kept" + tag);
    Path keptData = Files.createDirectory(tmp.resolve("still-here"));
    try {
      Files.createDirectories(orphan.resolve("slots/f-1"));
      Files.writeString(orphan.resolve("data-dir"), tmp.resolve("deleted-data").toString());
      Files.createDirectories(kept.resolve("slots/f-2"));
      Files.writeString(kept.resolve("data-dir"), keptData.toString());

      ForkdProcess forkd = ForkdProcess.start(tmp.resolve("data"), Map.of());
      try {
        assertFalse(Files.exists(orphan), "the tmpfs dir of a forkd whose data dir is gone is left: " + orphan);
        assertTrue(Files.exists(kept.resolve("slots/f-2")), "the tmpfs dir of a forkd whose data dir exists is swept");
      } finally {
        forkd.stop();
      }
    } finally {
      RunDirs.deleteTree(orphan);
      RunDirs.deleteTree(kept);
    }
  }

  @Test
  void aSecondForkdOnTheSameDataDirIsRefused() throws Exception {
    Path data = tmp.resolve("data");
    ForkdProcess first = ForkdProcess.start(data, Map.of());
    try {
      StartedInstance cold = first.await(first.client.start(StartRequest.cold("fn1", "app1", bundle.toString(), 64,
          ForkdProcess.command("probe.py"), ForkdProcess.env(Map.of()))));
      Process second = ForkdProcess.spawn(data, Map.of());
      assertTrue(second.waitFor(60, TimeUnit.SECONDS));
      assertEquals(1, second.exitValue());
      assertTrue(ForkdProcess.log(data).contains("another forkd is running"), ForkdProcess.log(data));
      // The running one and its instance are untouched.
      assertEquals("call-1", first.call(cold.listener(), "hello").getString("hello"));
    } finally {
      first.stop();
    }
  }
}
