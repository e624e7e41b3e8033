package io.cleave.forkd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A deleted fork child's cgroup serves a later child (ChildSlots.recycle): the later child is
 * alone in it, limited by its own limits, without the peak of the child before, and a cgroup
 * whose child was OOM-killed is removed, not reused. CgroupReuseTest checks the reset itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForkdSlotReuseTest {
  @RegisterExtension
  final ForkdOnce once = new ForkdOnce("forkd-reuse");
  ForkdProcess forkd;
  Path bundle;

  @BeforeAll
  void startForkd() throws Exception {
    forkd = once.start(Map.of());
    bundle = ForkdProcess.bundle(once.tmp.resolve("bundle"));
  }

  private StartedInstance fork(String seedId, int memoryMb) throws Exception {
    return forkd.await(forkd.client.start(StartRequest.fork(seedId, "fn1", "app1", memoryMb, Map.of())));
  }

  private static String read(Path dir, String file) throws Exception {
    return Files.readString(dir.resolve(file)).trim();
  }

  @Test
  void aDeletedChildsCgroupServesALaterChildCleanAndWithItsLimits() throws Exception {
    StartedInstance seed = forkd.await(forkd.client.start(StartRequest.seed("fn1", "app1", bundle.toString(), 128,
        ForkdProcess.command("probe.py"), ForkdProcess.env(Map.of()))));
    // The seed learns its first-call pages from the first child it deletes (Forks.learnBeforeDelete):
    // a small learner first, so later children do not fault in the 24 MB the second one holds.
    StartedInstance learned = fork(seed.instanceId(), 64);
    forkd.call(learned.listener(), "hello");
    forkd.await(forkd.client.delete(learned.instanceId()));
    StartedInstance first = fork(seed.instanceId(), 64);
    Path memory = Cgroups.memoryDir(first.pid());
    assumeTrue(Files.exists(memory.resolve("memory.max_usage_in_bytes")), "cgroups are reused on cgroup v1 only");
    Path pids = Cgroups.dir(first.pid(), "pids");
    assertEquals(24, forkd.call(first.listener(), "hold:24").getInteger("held_mb"));
    assertTrue(Long.parseLong(read(memory, "memory.max_usage_in_bytes")) >= 24L << 20);
    forkd.await(forkd.client.delete(first.instanceId()));
    ForkdProcess.awaitGone(first.pid(), "deleted fork child");

    // Kept, empty (CgroupReuseTest: made clean when it is taken for a slot).
    assertEquals("", read(memory, "cgroup.procs"));
    assertEquals("", read(pids, "cgroup.procs"));

    // Slots are made ahead: the kept cgroup comes back within the next slots (Forks keeps 8 ready).
    List<StartedInstance> later = new ArrayList<>();
    StartedInstance reused = null;
    for (int i = 0; i < 24 && reused == null; i++) {
      StartedInstance c = fork(seed.instanceId(), 96);
      later.add(c);
      if (Cgroups.memoryDir(c.pid()).equals(memory)) {
        reused = c;
      }
    }
    assertNotNull(reused, "the deleted child's cgroup was not reused by 24 later forks");
    // Alone in it, in every hierarchy, limited as a 96 MB child, and serving.
    assertEquals(Long.toString(reused.pid()), read(memory, "cgroup.procs"));
    assertEquals(Long.toString(reused.pid()), read(pids, "cgroup.procs"));
    assertEquals(pids, Cgroups.dir(reused.pid(), "pids"));
    assertEquals(Integer.toString(ForkdProcess.PIDS_MAX), read(pids, "pids.max"));
    assertEquals(Long.toString(96L << 20), read(memory, "memory.limit_in_bytes"));
    if (Files.exists(memory.resolve("memory.memsw.limit_in_bytes"))) {
      assertEquals(Long.toString(96L << 20), read(memory, "memory.memsw.limit_in_bytes"));
    }
    Path cpu = Cgroups.dir(reused.pid(), "cpu");
    if (Files.exists(cpu.resolve("cpu.shares"))) {
      assertEquals("96", read(cpu, "cpu.shares"));
      // 96 MB at the default 128 MB per cpu: three quarters of a cpu, a burst as large.
      assertEquals("75000", read(cpu, "cpu.cfs_quota_us"));
      if (Files.exists(cpu.resolve("cpu.cfs_burst_us"))) {
        assertEquals("75000", read(cpu, "cpu.cfs_burst_us"));
      }
    }
    assertEquals("0", read(memory, "memory.failcnt"));
    assertTrue(Long.parseLong(read(memory, "memory.max_usage_in_bytes")) < 24L << 20,
        "the later child's peak includes the deleted one's: " + read(memory, "memory.max_usage_in_bytes"));
    assertEquals("call-1", forkd.call(reused.listener(), "hello").getString("hello"));

    // Its limit holds: a hog dies of it alone, and its cgroup (which cannot forget an OOM kill) goes.
    StartedInstance hog = reused;
    assertThrows(ExecutionException.class, () -> forkd.await(forkd.callAsync(hog.listener(), "hog")));
    InstanceStatus st = forkd.awaitExit(hog.instanceId());
    assertTrue(st.oomKilled(), "oom_killed not reported: " + st);
    forkd.await(forkd.client.delete(hog.instanceId()));
    assertFalse(Files.exists(memory), "an OOM-killed child's cgroup was kept");
    for (StartedInstance c : later) {
      if (c != hog) {
        assertEquals("call-1", forkd.call(c.listener(), "hello").getString("hello"));
        forkd.await(forkd.client.delete(c.instanceId()));
      }
    }
    forkd.await(forkd.client.delete(seed.instanceId()));
  }
}
