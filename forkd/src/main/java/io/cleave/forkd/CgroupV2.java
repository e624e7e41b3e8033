package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The cgroup v2 layout: one tree under the unified hierarchy's root. */
record CgroupV2(Path root, Path parent) implements CgroupLayout {
  @Override
  public List<Path> parents() {
    return List.of(parent);
  }

  @Override
  public Cgroup create(String name) throws IOException {
    if (!Files.isDirectory(parent)) {
      Files.createDirectories(parent);
      String wanted = "+memory +pids" + (ProcFs.readOrEmpty(root.resolve("cgroup.controllers")).contains("cpu") ? " +cpu" : "");
      Files.writeString(root.resolve("cgroup.subtree_control"), wanted);
      Files.writeString(parent.resolve("cgroup.subtree_control"), wanted);
    }
    return CgroupLayout.super.create(name);
  }

  @Override
  public void limitPids(Cgroup cgroup, int pidsMax) throws IOException {
    Files.writeString(cgroup.memoryDir().resolve("pids.max"), Integer.toString(pidsMax));
  }

  @Override
  public void limitMemoryAndCpu(Cgroup cgroup, long memoryBytes, int cpuShares, long cpuQuotaUs, boolean unset)
      throws IOException {
    Path dir = cgroup.memoryDir();
    Files.writeString(dir.resolve("memory.max"), Long.toString(memoryBytes));
    if (Files.exists(dir.resolve("memory.swap.max"))) {
      Files.writeString(dir.resolve("memory.swap.max"), "0");
    }
    if (Files.exists(dir.resolve("cpu.weight"))) {
      // v1 shares 2..262144 (1024 = one normal process) map onto weight 1..10000 (100 = normal).
      long weight = Math.max(1, Math.min(10000, cpuShares * 100L / 1024));
      Files.writeString(dir.resolve("cpu.weight"), Long.toString(weight));
      Path burst = dir.resolve("cpu.max.burst");
      boolean bursts = OptionalCgroupFiles.exist(burst);
      if (bursts && !unset && !ProcFs.readOrEmpty(burst).trim().equals("0")) {
        // burst <= quota at every write: a quota that shrinks (a JVM seed's) drops the old burst first.
        Files.writeString(burst, "0");
      }
      Files.writeString(dir.resolve("cpu.max"), (cpuQuotaUs < 0 ? "max" : Long.toString(cpuQuotaUs)) + " " + CPU_PERIOD_US);
      if (cpuQuotaUs > 0 && bursts) {
        Files.writeString(burst, Long.toString(cpuQuotaUs));
      }
    }
  }

  @Override
  public long memoryBytes(Cgroup cgroup) {
    String usage = ProcFs.readOrEmpty(cgroup.memoryDir().resolve("memory.current")).trim();
    return usage.isEmpty() ? 0 : Long.parseLong(usage);
  }

  @Override
  public boolean oomKilled(Cgroup cgroup) {
    return CgroupLayout.counter(cgroup.memoryDir().resolve("memory.events"), "oom_kill") > 0;
  }

  @Override
  public void killAll(Cgroup cgroup) {
    Path kill = cgroup.memoryDir().resolve("cgroup.kill");
    if (Files.exists(kill)) {
      try {
        Files.writeString(kill, "1");
      } catch (IOException e) {
        LOG.warning("cgroup.kill failed for " + cgroup.name() + ": " + e);
      }
    }
    CgroupLayout.super.killAll(cgroup);
  }
}
