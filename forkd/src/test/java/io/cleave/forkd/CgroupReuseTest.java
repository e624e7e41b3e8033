package io.cleave.forkd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A fork slot's cgroup reused after its child (cgroup v1, as root): what the child left (charge,
 * failure count, peak) is gone once it is reset, and limits written over another child's are
 * the new ones, in whichever direction they change.
 */
class CgroupReuseTest {
  private static String read(Path dir, String file) throws Exception {
    return Files.readString(dir.resolve(file)).trim();
  }

  /** Runs {@code command} in the cgroup's memory hierarchy and waits for it. */
  private static void runIn(Cgroup cgroup, String command) throws Exception {
    Process p = new ProcessBuilder("/bin/sh", "-c", "echo $$ > " + cgroup.memoryDir().resolve("cgroup.procs")
        + " && " + command).inheritIO().start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), command);
    assertEquals(0, p.exitValue(), command);
  }

  @Test
  void aResetCgroupCarriesNothingOfItsChildAndTakesNewLimits() throws Exception {
    String name = "cleave-reuse-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    CgroupLayout layout = CgroupLayout.detect(name);
    assumeTrue(layout instanceof CgroupV1, "cgroups are reused on cgroup v1 only");
    Cgroup cgroup = layout.create("slot-probe");
    SlotCgroup slot = new SlotCgroup(cgroup);
    try {
      Path mem = cgroup.memoryDir();
      SlotCgroup.Limits small = new SlotCgroup.Limits(16L << 20, 16, 12_500);
      layout.limitMemoryAndCpu(cgroup, small, null);
      boolean swap = Files.exists(mem.resolve("memory.memsw.limit_in_bytes"));
      if (swap) {
        // Memory+swap unbounded for the fill, or its bound counts the failures (6.18 leaves both at 0 then).
        Files.writeString(mem.resolve("memory.memsw.limit_in_bytes"), "-1");
      }
      // Reading a file larger than the limit through the page cache (dropped from it first, so
      // this read charges it here): reclaim at the limit (failures counted, no OOM kill), and
      // page cache left charged after the reader exits.
      Path big = Files.createTempFile(Path.of("target").toAbsolutePath(), "reuse", ".bin");
      Process write = new ProcessBuilder("dd", "if=/dev/zero", "of=" + big, "bs=1M", "count=48", "conv=fsync",
          "status=none").inheritIO().start();
      assertTrue(write.waitFor(120, TimeUnit.SECONDS));
      try {
        runIn(cgroup, "dd if=" + big + " iflag=nocache count=0 status=none && cat " + big + " > /dev/null");
      } finally {
        Files.delete(big);
      }
      assertTrue(Long.parseLong(read(mem, "memory.failcnt")) > 0, "no failure counted");
      assertTrue(Long.parseLong(read(mem, "memory.max_usage_in_bytes")) > 8L << 20);
      assertTrue(Long.parseLong(read(mem, "memory.usage_in_bytes")) > 0, "nothing left charged");

      assertTrue(layout.reusable(cgroup));
      // Other cpus' charge stocks drain asynchronously: forkd tries a kept cgroup again at a later take.
      boolean reset = false;
      for (int i = 0; i < 100 && !(reset = layout.resetForReuse(slot)); i++) {
        Thread.sleep(20);
      }
      assertTrue(reset, "not clean: " + read(mem, "memory.usage_in_bytes") + " bytes charged");
      // Nothing of the child's memory; at most a few pages of its kernel objects, freed later.
      long left = Long.parseLong(read(mem, "memory.usage_in_bytes"));
      for (String line : Files.readAllLines(mem.resolve("memory.stat"))) {
        String[] kv = line.split(" ");
        if (List.of("cache", "rss", "shmem", "mapped_file").contains(kv[0])) {
          assertEquals("0", kv[1], line);
        }
      }
      assertTrue(left <= CgroupV1.KERNEL_OBJECTS_LEFT, left + " bytes left charged");
      // Peaks reset to the usage at the reset (which the kernel's late frees may lower since).
      assertTrue(Long.parseLong(read(mem, "memory.max_usage_in_bytes")) <= CgroupV1.KERNEL_OBJECTS_LEFT, "the child's peak");
      assertEquals("0", read(mem, "memory.failcnt"));
      if (swap) {
        assertTrue(Long.parseLong(read(mem, "memory.memsw.max_usage_in_bytes")) <= CgroupV1.KERNEL_OBJECTS_LEFT, "the child's memory+swap peak");
        assertEquals("0", read(mem, "memory.memsw.failcnt"));
      }

      // Limits over the child's before: growing, then shrinking below them.
      SlotCgroup.Limits large = new SlotCgroup.Limits(48L << 20, 48, 37_500);
      layout.limitMemoryAndCpu(cgroup, large, small);
      assertLimits(layout, cgroup, large, swap);
      SlotCgroup.Limits tiny = new SlotCgroup.Limits(8L << 20, 8, -1);
      layout.limitMemoryAndCpu(cgroup, tiny, large);
      assertLimits(layout, cgroup, tiny, swap);
      layout.limitMemoryAndCpu(cgroup, small, tiny);
      assertLimits(layout, cgroup, small, swap);

      // A process left in it, or an OOM kill it cannot forget, and it is not reused.
      Process sleeper = new ProcessBuilder("/bin/sh", "-c", "echo $$ > " + mem.resolve("cgroup.procs")
          + " && exec sleep 60").start();
      try {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (read(mem, "cgroup.procs").isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertFalse(layout.reusable(cgroup), "a cgroup with a process in it");
      } finally {
        sleeper.destroyForcibly().waitFor();
      }
      layout.killAll(cgroup);
      assertTrue(layout.reusable(cgroup));
      Process hog = new ProcessBuilder("/bin/sh", "-c", "echo $$ > " + mem.resolve("cgroup.procs")
          + " && exec /usr/bin/python3 -c 'x = [bytearray(1 << 20) for _ in range(200)]'").start();
      assertTrue(hog.waitFor(120, TimeUnit.SECONDS));
      assertTrue(layout.oomKilled(cgroup), "the hog was not OOM-killed");
      assertFalse(layout.reusable(cgroup), "a cgroup that OOM-killed a process");
    } finally {
      slot.close();
      layout.remove(cgroup);
      for (Path parent : layout.parents()) {
        CgroupLayout.removeTree(parent);
      }
    }
  }

  private static void assertLimits(CgroupLayout layout, Cgroup cgroup, SlotCgroup.Limits l, boolean swap)
      throws Exception {
    Path mem = cgroup.memoryDir();
    assertEquals(Long.toString(l.memoryBytes()), read(mem, "memory.limit_in_bytes"));
    if (swap) {
      assertEquals(Long.toString(l.memoryBytes()), read(mem, "memory.memsw.limit_in_bytes"));
    }
    List<Path> dirs = layout.parents();
    if (dirs.size() < 3) {
      return;
    }
    Path cpu = cgroup.dirs().get(2);
    assertEquals(Integer.toString(l.cpuShares()), read(cpu, "cpu.shares"));
    assertEquals(Long.toString(l.cpuQuotaUs()), read(cpu, "cpu.cfs_quota_us"));
    if (Files.exists(cpu.resolve("cpu.cfs_burst_us"))) {
      assertEquals(Long.toString(Math.max(0, l.cpuQuotaUs())), read(cpu, "cpu.cfs_burst_us"));
    }
  }
}
