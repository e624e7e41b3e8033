package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * Where forkd's cgroups live and how limits are written: cgroup v1 (memory, cpu, pids hierarchies,
 * nested under forkd's own cgroup in each) or v2 (one tree at the root of the unified hierarchy,
 * since v2 forbids processes in a cgroup whose children get controllers). Every cgroup forkd makes
 * sits under {@link #parents()}: {@code pool} for pre-created containers, {@code i-<id>} per
 * instance.
 */
sealed interface CgroupLayout permits CgroupV1, CgroupV2 {
  Logger LOG = Logger.getLogger("forkd.cgroups");

  /** forkd's parent directories, one per hierarchy. */
  List<Path> parents();

  void limitPids(Cgroup cgroup, int pidsMax) throws IOException;

  /** The scheduler period cpu quotas are given in: the kernel's default, which v1 cgroups keep. */
  long CPU_PERIOD_US = 100_000;

  /**
   * Memory (no swap beyond it), cpu weight and cpu quota: shares in v1 terms (1024 = one normal
   * process), the quota in microseconds of cpu per {@link #CPU_PERIOD_US} (-1: none). Where the
   * kernel has cpu bursts, as much again may be saved up while idle, so a start (a burst of
   * imports after a quiet pool) is not throttled like sustained use. Without a cpu controller
   * only memory is limited.
   */
  default void limitMemoryAndCpu(Cgroup cgroup, long memoryBytes, int cpuShares, long cpuQuotaUs) throws IOException {
    limitMemoryAndCpu(cgroup, memoryBytes, cpuShares, cpuQuotaUs, false);
  }

  /**
   * {@code unset}: nothing set this cgroup's memory and cpu limits yet (a fork slot's, made ahead
   * with its pids limit only), so they are the kernel's defaults (no memory bound, no cpu burst)
   * and none is read before it is written: three cgroup file reads fewer per fork.
   */
  void limitMemoryAndCpu(Cgroup cgroup, long memoryBytes, int cpuShares, long cpuQuotaUs, boolean unset)
      throws IOException;

  /**
   * A fork slot's limits, {@code was} those written before (null: none yet, the kernel's defaults):
   * here the limits are read back where their order of writes depends on them.
   */
  default void limitMemoryAndCpu(Cgroup cgroup, SlotCgroup.Limits wanted, SlotCgroup.Limits was) throws IOException {
    limitMemoryAndCpu(cgroup, wanted.memoryBytes(), wanted.cpuShares(), wanted.cpuQuotaUs(), was == null);
  }

  /**
   * Whether a deleted fork child's cgroup may serve a later child: no process left in it and no
   * OOM kill (a count the kernel cannot reset, which the later child's status would report).
   * False where cgroups are not reused (v2): it is removed then.
   */
  default boolean reusable(Cgroup cgroup) {
    return false;
  }

  /**
   * Makes a cgroup {@link #reusable} kept as a fresh one would be, apart from its limits, when it
   * is taken for a new slot: no memory charged, no failure counts or peaks from its child before.
   * False when it cannot be (yet: the child's kernel stack and task stay charged until its seed
   * reaps it).
   */
  default boolean resetForReuse(SlotCgroup cgroup) {
    return false;
  }

  default void limit(Cgroup cgroup, long memoryBytes, int pidsMax, int cpuShares, long cpuQuotaUs)
      throws IOException {
    limitPids(cgroup, pidsMax);
    limitMemoryAndCpu(cgroup, memoryBytes, cpuShares, cpuQuotaUs);
  }

  long memoryBytes(Cgroup cgroup);

  boolean oomKilled(Cgroup cgroup);

  /** Finds the hierarchies on this machine; {@code name} distinguishes forkds (one per data dir). */
  static CgroupLayout detect(String name) throws IOException {
    List<Mount> mounts = Mount.all();
    Map<String, String> own = ownCgroups();
    Optional<Mount> memory = mounts.stream().filter(m -> m.v1Controller("memory")).findFirst();
    if (memory.isPresent()) {
      Optional<Mount> pids = mounts.stream().filter(m -> m.v1Controller("pids")).findFirst();
      Optional<Mount> cpu = mounts.stream().filter(m -> m.v1Controller("cpu")).findFirst();
      if (pids.isEmpty()) {
        throw new IOException("cgroup v1 without a pids hierarchy: forkd cannot bound fork bombs");
      }
      return new CgroupV1(
          memory.get().forkdDir(own, "memory", name),
          pids.get().forkdDir(own, "pids", name),
          cpu.map(m -> m.forkdDir(own, "cpu", name)));
    }
    for (Mount m : mounts) {
      if (m.type.equals("cgroup2")
          && ProcFs.readOrEmpty(m.point.resolve("cgroup.controllers")).contains("memory")) {
        return new CgroupV2(m.point, m.point.resolve(name));
      }
    }
    throw new IOException("no cgroup hierarchy with the memory controller is mounted");
  }

  default Cgroup create(String name) throws IOException {
    List<Path> dirs = new ArrayList<>();
    for (Path parent : parents()) {
      Path dir = parent.resolve(name);
      try {
        Files.createDirectory(dir);
      } catch (NoSuchFileException noParent) { // the first under this parent: a fork slot's costs no stat
        Files.createDirectories(parent);
        Files.createDirectory(dir);
      }
      dirs.add(dir);
    }
    return new Cgroup(name, dirs, dirs.get(0));
  }

  default void join(Cgroup cgroup, long pid) throws IOException {
    for (Path dir : cgroup.dirs()) {
      Files.writeString(dir.resolve("cgroup.procs"), Long.toString(pid));
    }
  }

  default List<Long> pids(Cgroup cgroup) {
    List<Long> out = new ArrayList<>();
    for (Path dir : cgroup.dirs()) {
      for (String line : ProcFs.readOrEmpty(dir.resolve("cgroup.procs")).split("\n")) {
        if (!line.isBlank() && !out.contains(Long.parseLong(line.trim()))) {
          out.add(Long.parseLong(line.trim()));
        }
      }
    }
    return out;
  }

  /**
   * SIGKILLs every process in the cgroup until it stays empty (a fork bomb refills it for a
   * while). The looks back off from 0.1 to 5 ms: a killed process takes 1-50 ms to exit on a
   * loaded machine, and each look reads cgroup.procs in every hierarchy.
   */
  default void killAll(Cgroup cgroup) {
    long deadline = System.nanoTime() + 5_000_000_000L;
    long pause = 100_000;
    List<Long> pids;
    while (!(pids = pids(cgroup)).isEmpty() && System.nanoTime() < deadline) {
      for (long pid : pids) {
        Kill.pid(pid);
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, 5_000_000);
    }
  }

  /** Kills what is left and removes the cgroup's directories; absent ones are fine. */
  default void remove(Cgroup cgroup) {
    killAll(cgroup);
    for (Path dir : cgroup.dirs()) {
      removeDir(dir);
    }
  }

  /** Removes a cgroup directory and everything below it, killing what runs there. */
  static void removeTree(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path child : children) {
        removeTree(child);
      }
    } catch (IOException e) {
      LOG.warning("cannot list " + dir + ": " + e);
    }
    long deadline = System.nanoTime() + 5_000_000_000L;
    String procs;
    while (!(procs = ProcFs.readOrEmpty(dir.resolve("cgroup.procs")).trim()).isEmpty() && System.nanoTime() < deadline) {
      for (String pid : procs.split("\n")) {
        Kill.pid(Long.parseLong(pid.trim()));
      }
      LockSupport.parkNanos(1_000_000);
    }
    removeDir(dir);
  }

  private static void removeDir(Path dir) {
    // A just-killed process keeps its cgroup busy until it is fully gone (a loaded machine
    // can take a while to finish exits): retry for up to 10 s.
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      try {
        Files.delete(dir);
        return;
      } catch (NoSuchFileException gone) {
        return;
      } catch (IOException busy) {
        if (System.nanoTime() > deadline) {
          LOG.warning("cannot remove cgroup " + dir + ": " + busy + " (tasks: "
              + ProcFs.readOrEmpty(dir.resolve("cgroup.procs")).replace('\n', ' ') + ")");
          return;
        }
        LockSupport.parkNanos(2_000_000);
      }
    }
  }

  /**
   * cgroup moves wait for an RCU grace period (~10 ms here) unless the hierarchy favours dynamic
   * modifications; a fork child's move is on the critical path, so ask for it. The switch is
   * global and stays on: it trades a little fork/exit speed for cheap migrations.
   */
  static void favorDynmods() throws IOException {
    for (Mount m : Mount.all()) {
      if (m.type().equals("cgroup2") && !m.options().contains("favordynmods")) {
        List<String> keep = new ArrayList<>(m.options().stream().filter(o -> !o.equals("rw") && !o.equals("ro")).toList());
        keep.add("favordynmods");
        if (LibC.INSTANCE.mount(null, m.point().toString(), null, LibC.MS_REMOUNT, String.join(",", keep)) != 0) {
          LOG.warning(LibC.describe("remount " + m.point() + " with favordynmods") + "; forks will pay for slow cgroup moves");
        } else {
          LOG.info("remounted " + m.point() + " with favordynmods (cheap cgroup moves)");
        }
        return;
      }
      if (m.type().equals("cgroup2")) {
        return;
      }
    }
    LOG.warning("no cgroup2 mount to set favordynmods on; forks will pay for slow cgroup moves");
  }

  /** forkd's cgroup path in each v1 hierarchy, by controller name. */
  private static Map<String, String> ownCgroups() throws IOException {
    Map<String, String> out = new java.util.HashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
      String[] parts = line.split(":", 3);
      if (parts.length == 3) {
        for (String controller : parts[1].split(",")) {
          out.put(controller, parts[2]);
        }
      }
    }
    return out;
  }

  /** A cgroup file system mount from /proc/self/mountinfo. */
  record Mount(String type, Path point, String root, List<String> options) {
    static List<Mount> all() throws IOException {
      List<Mount> out = new ArrayList<>();
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String[] halves = line.split(" - ", 2);
        String[] left = halves[0].split(" ");
        String[] right = halves[1].split(" ");
        if (right[0].equals("cgroup") || right[0].equals("cgroup2")) {
          out.add(new Mount(right[0], Path.of(unescape(left[4])), unescape(left[3]), List.of(right[2].split(","))));
        }
      }
      return out;
    }

    boolean v1Controller(String controller) {
      return type.equals("cgroup") && options.contains(controller);
    }

    Path forkdDir(Map<String, String> own, String controller, String name) {
      String path = own.getOrDefault(controller, "/");
      String relative = path.startsWith(root) ? path.substring(root.length()) : path;
      relative = relative.replaceFirst("^/+", "");
      return (relative.isEmpty() ? point : point.resolve(relative)).resolve(name);
    }

    private static String unescape(String field) {
      return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
  }

  /** A "key value" line's value in a flat-keyed cgroup file; 0 when absent. */
  static long counter(Path file, String key) {
    for (String line : ProcFs.readOrEmpty(file).split("\n")) {
      String[] kv = line.trim().split("\\s+");
      if (kv.length == 2 && kv[0].equals(key)) {
        return Long.parseLong(kv[1]);
      }
    }
    return 0;
  }
}
