package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The cgroup v1 layout: one directory per hierarchy (memory first); fork slot cgroups are reused. */
record CgroupV1(Path memory, Path pids, Optional<Path> cpu) implements CgroupLayout {
  @Override
  public List<Path> parents() {
    List<Path> out = new ArrayList<>(List.of(memory, pids));
    cpu.ifPresent(out::add);
    return out;
  }

  @Override
  public void limitPids(Cgroup cgroup, int pidsMax) throws IOException {
    Files.writeString(cgroup.dirs().get(1).resolve("pids.max"), Integer.toString(pidsMax));
  }

  @Override
  public void limitMemoryAndCpu(Cgroup cgroup, long memoryBytes, int cpuShares, long cpuQuotaUs, boolean unset)
      throws IOException {
    Path mem = cgroup.memoryDir();
    Path limit = mem.resolve("memory.limit_in_bytes");
    Path memsw = mem.resolve("memory.memsw.limit_in_bytes");
    // With swap accounting, memory+swap gets the same bound: no escaping into swap. The kernel
    // keeps memory <= memory+swap at every write, so a limit that grows (a JVM seed's) raises
    // memory+swap first, one that shrinks (from an unset cgroup's maximum, always) lowers memory first.
    boolean swap = OptionalCgroupFiles.exist(memsw);
    boolean grows = false;
    if (swap && !unset) {
      String now = ProcFs.readOrEmpty(limit).trim();
      grows = memoryBytes > (now.isEmpty() ? 0 : Long.parseLong(now));
    }
    if (grows) {
      Files.writeString(memsw, Long.toString(memoryBytes));
    }
    Files.writeString(limit, Long.toString(memoryBytes));
    if (swap && !grows) {
      Files.writeString(memsw, Long.toString(memoryBytes));
    }
    if (cpu.isPresent()) {
      Path dir = cgroup.dirs().get(2);
      Files.writeString(dir.resolve("cpu.shares"), Integer.toString(cpuShares));
      Path burst = dir.resolve("cpu.cfs_burst_us");
      boolean bursts = OptionalCgroupFiles.exist(burst);
      if (bursts && !unset && !ProcFs.readOrEmpty(burst).trim().equals("0")) {
        // The kernel keeps burst <= quota at every write: a quota that shrinks (a JVM seed's) drops the old burst first.
        Files.writeString(burst, "0");
      }
      // The period is left at the kernel's default (CPU_PERIOD_US): one write less per fork.
      Files.writeString(dir.resolve("cpu.cfs_quota_us"), Long.toString(cpuQuotaUs));
      if (cpuQuotaUs > 0 && bursts) {
        Files.writeString(burst, Long.toString(cpuQuotaUs));
      }
    }
  }

  @Override
  public void limitMemoryAndCpu(Cgroup cgroup, SlotCgroup.Limits wanted, SlotCgroup.Limits was) throws IOException {
    if (was == null) {
      limitMemoryAndCpu(cgroup, wanted.memoryBytes(), wanted.cpuShares(), wanted.cpuQuotaUs(), true);
      return;
    }
    // Only what changed is written, in the order the kernel's invariants want (see above).
    if (wanted.memoryBytes() != was.memoryBytes()) {
      Path mem = cgroup.memoryDir();
      Path memsw = mem.resolve("memory.memsw.limit_in_bytes");
      boolean swap = OptionalCgroupFiles.exist(memsw);
      boolean grows = wanted.memoryBytes() > was.memoryBytes();
      if (swap && grows) {
        Files.writeString(memsw, Long.toString(wanted.memoryBytes()));
      }
      Files.writeString(mem.resolve("memory.limit_in_bytes"), Long.toString(wanted.memoryBytes()));
      if (swap && !grows) {
        Files.writeString(memsw, Long.toString(wanted.memoryBytes()));
      }
    }
    if (cpu.isPresent()) {
      Path dir = cgroup.dirs().get(2);
      if (wanted.cpuShares() != was.cpuShares()) {
        Files.writeString(dir.resolve("cpu.shares"), Integer.toString(wanted.cpuShares()));
      }
      if (wanted.cpuQuotaUs() != was.cpuQuotaUs()) {
        Path burst = dir.resolve("cpu.cfs_burst_us");
        boolean bursts = OptionalCgroupFiles.exist(burst);
        if (bursts && was.cpuQuotaUs() > 0) {
          Files.writeString(burst, "0");
        }
        Files.writeString(dir.resolve("cpu.cfs_quota_us"), Long.toString(wanted.cpuQuotaUs()));
        if (wanted.cpuQuotaUs() > 0 && bursts) {
          Files.writeString(burst, Long.toString(wanted.cpuQuotaUs()));
        }
      }
    }
  }

  @Override
  public boolean reusable(Cgroup cgroup) {
    return pids(cgroup).isEmpty() && !oomKilled(cgroup);
  }

  @Override
  public boolean resetForReuse(SlotCgroup slot) {
    try {
      long left = slot.readMemoryFile("memory.usage_in_bytes");
      long kernel = kernelBytes(slot);
      if (left > KERNEL_OBJECTS_LEFT || left != kernel) {
        // What the exit left charged: the per-cpu charge stocks (refilled by the child's kernel
        // objects as they are freed), page cache; 50-300 KB after a hello child.
        slot.writeMemoryFile("memory.force_empty", "0");
        left = slot.readMemoryFile("memory.usage_in_bytes");
        kernel = kernelBytes(slot);
      }
      if (left > KERNEL_OBJECTS_LEFT || left != kernel) {
        LOG.fine("cgroup " + slot.cgroup.name() + " not clean yet: " + left + " bytes charged (" + kernel + " kernel)");
        return false;
      }
      // Peaks reset to the usage now, failure counts to 0.
      boolean swap = OptionalCgroupFiles.exist(slot.cgroup.memoryDir().resolve("memory.memsw.limit_in_bytes"));
      for (String counter : swap ? SWAP_COUNTERS : COUNTERS) {
        slot.writeMemoryFile(counter, "0");
      }
      return true;
    } catch (IOException | NumberFormatException e) {
      LOG.fine("cgroup " + slot.cgroup.name() + " not clean: " + e);
      return false;
    }
  }

  /** Kernel memory charged (0 without kernel memory accounting: then nothing may be left). */
  private static long kernelBytes(SlotCgroup slot) throws IOException {
    return OptionalCgroupFiles.exist(slot.cgroup.memoryDir().resolve("memory.kmem.usage_in_bytes"))
        ? slot.readMemoryFile("memory.kmem.usage_in_bytes") : 0;
  }

  /**
   * Kernel memory a reset cgroup may still be charged with: the kernel objects of its child
   * that are freed a while after its exit (and the sub-page rest of byte-granular kernel memory
   * accounting), 4-12 KB here, which a forced empty cannot drop. No user memory is left.
   */
  static final long KERNEL_OBJECTS_LEFT = 16 << 10;

  /** What a child leaves in its memory cgroup that resets to 0 (its OOM kill count does not). */
  private static final List<String> COUNTERS = List.of("memory.failcnt", "memory.max_usage_in_bytes");
  private static final List<String> SWAP_COUNTERS = List.of("memory.failcnt", "memory.max_usage_in_bytes",
      "memory.memsw.failcnt", "memory.memsw.max_usage_in_bytes");

  @Override
  public long memoryBytes(Cgroup cgroup) {
    String usage = ProcFs.readOrEmpty(cgroup.memoryDir().resolve("memory.usage_in_bytes")).trim();
    return usage.isEmpty() ? 0 : Long.parseLong(usage);
  }

  @Override
  public boolean oomKilled(Cgroup cgroup) {
    return CgroupLayout.counter(cgroup.memoryDir().resolve("memory.oom_control"), "oom_kill") > 0;
  }
}
