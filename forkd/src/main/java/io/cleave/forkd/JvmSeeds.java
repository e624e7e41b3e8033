package io.cleave.forkd;

import io.cleave.common.error.ApiError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * JVM seeds and the instances inside them. A JVM cannot be forked safely (threads, JIT, GC), so a
 * Java function's first instance starts a JVM seed (cold) and later ones are new instances in it,
 * ordered over its control socket (docs/CONTRACTS.md). The seed's cgroup is sized for its
 * instances: memory, cpu weight and cpu quota are one instance's times their count, set before an
 * instance starts and after one stops. The seed ends with its last instance.
 */
final class JvmSeeds implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.jvm");
  /** A stop order waits this long for its answer; the instance is gone from forkd's view either way. */
  private static final long STOP_TIMEOUT_MS = 5_000;

  private final ForkdConfig config;
  private final CgroupLayout cgroups;
  private final ContainerStarts containers;
  private final Readiness readiness;
  private final Map<String, JvmSeed> seeds = new ConcurrentHashMap<>();

  JvmSeeds(ForkdConfig config, CgroupLayout cgroups, ContainerStarts containers, Readiness readiness) {
    this.config = config;
    this.cgroups = cgroups;
    this.containers = containers;
    this.readiness = readiness;
  }

  int count() {
    return seeds.size();
  }

  /** Starts a JVM seed; answers its first instance once that serves. */
  Instance.InJvm start(StartSpec spec, Path bundle, List<String> command, long t0) {
    try {
      JavaRuntime.require(config.javaRuntimeJar(), config.javaRuntimeDir());
    } catch (IOException e) {
      throw new ApiError(502, e.getMessage());
    }
    String firstId = Instance.newId("v");
    JvmSeed jvm = containers.startJvm(spec, bundle, command, firstId, t0);
    Instance.InJvm first = new Instance.InJvm(firstId, jvm, true);
    jvm.members.add(first);
    seeds.put(jvm.id, jvm);
    return first;
  }

  JvmSeed seed(String id) {
    JvmSeed jvm = seeds.get(id);
    if (jvm == null) {
      throw new ApiError(404, "JVM seed " + id + " not found");
    }
    return jvm;
  }

  /**
   * Starts a new instance in a running JVM seed with its own config ({@code spec}'s env); answers
   * once its listener is bound. The seed's limits grow first, so the instance starts with its room.
   */
  Instance.InJvm add(JvmSeed jvm, StartSpec spec, long t0) {
    if (spec.memoryMb() != jvm.spec.memoryMb() || !spec.fnId().equals(jvm.spec.fnId())) {
      throw StartChecks.bad("an instance in JVM seed " + jvm.id + " is of its function " + jvm.spec.fnId() + " with "
          + jvm.spec.memoryMb() + " MB");
    }
    synchronized (jvm.changes) {
      if (jvm.ended.get() || !jvm.alive()) {
        throw new ApiError(409, "JVM seed " + jvm.id + " has exited");
      }
      String id = Instance.newId("v");
      Instance.InJvm inst = new Instance.InJvm(id, jvm, false);
      Path listener = jvm.listener(id);
      Path output = jvm.output(id);
      boolean started = false;
      jvm.members.add(inst);
      try {
        resize(jvm);
        // forkd's (root's) file, which the JVM may open but not replace; closed to it once opened.
        Files.createDirectory(output.getParent());
        RunDirs.chmod(output.getParent(), 0711);
        Files.createFile(output);
        RunDirs.chmod(output, 0622);
        // The run dir opens for the JVM to bind the new listener, and closes again once it is forkd's.
        RunDirs.chmod(jvm.runDir, 01733);
        Map<String, String> env = spec.instanceEnv(Map.of());
        env.put("FN_LISTENER", "unix:" + JvmSeed.listenerInside(id));
        long left = Math.max(1, readiness.timeoutMs() - (System.nanoTime() - t0) / 1_000_000);
        jvm.control.startInstance(id, JvmSeed.listenerInside(id), JvmSeed.outputInside(id), env, left);
        RunDirs.closeOutput(output);
        if (!Files.exists(listener)) {
          throw new ApiError(502, "JVM seed " + jvm.id + " reported instance " + id + " ready without its listener");
        }
        RunDirs.takeOver(listener);
        started = true;
        return inst;
      } catch (SeedControl.Refused refused) {
        throw new ApiError(502, "JVM seed " + jvm.id + " refused the instance: " + refused.getMessage());
      } catch (IOException e) {
        throw new ApiError(502, "new instance in JVM seed " + jvm.id + " failed: " + e.getMessage()
            + (jvm.alive() ? "" : " (the JVM exited: " + Readiness.describeExit(jvm.container.mainExit()) + "; output: "
            + RunDirs.tail(jvm.runDir.resolve("output")) + ")"));
      } finally {
        if (!started) {
          jvm.members.remove(inst);
          deleteQuietly(listener);
          RunDirs.deleteTree(output.getParent());
          closeRunDir(jvm);
          resize(jvm);
        }
      }
    }
  }

  /**
   * Stops one instance: a stop order to its JVM, then the seed's limits shrink; the last instance's
   * deletion ends the JVM with its container.
   */
  void delete(Instance.InJvm inst) {
    JvmSeed jvm = inst.jvm;
    synchronized (jvm.changes) {
      inst.stopped = true;
      jvm.members.remove(inst);
      if (jvm.members.isEmpty()) {
        seeds.remove(jvm.id, jvm);
        containers.delete(jvm);
        return;
      }
      if (jvm.alive()) {
        try {
          jvm.control.stopInstance(inst.id, STOP_TIMEOUT_MS);
        } catch (IOException | SeedControl.Refused e) {
          LOG.warning("stopping instance " + inst.id + " in JVM seed " + jvm.id + ": " + e.getMessage());
        }
      }
      deleteQuietly(jvm.listener(inst.id));
      RunDirs.deleteTree(jvm.output(inst.id).getParent());
      resize(jvm);
    }
  }

  /**
   * One instance's memory, cpu weight and quota times the instance count. A shrink of memory below
   * what the JVM uses now fails (the kernel cannot reclaim it): the larger limit stays until the
   * next change.
   */
  private void resize(JvmSeed jvm) {
    int n = Math.max(1, jvm.members.size());
    StartSpec one = jvm.spec;
    long quota = one.cpuQuotaUs(config.mbPerCpu());
    try {
      cgroups.limitMemoryAndCpu(jvm.cgroup, one.memoryBytes() * n, Math.min(262_144, one.cpuShares() * n),
          quota < 0 ? -1 : quota * n);
    } catch (IOException e) {
      LOG.info("JVM seed " + jvm.id + " keeps its limits for " + n + " instance(s): " + e.getMessage());
    }
  }

  private static void closeRunDir(JvmSeed jvm) {
    try {
      RunDirs.chmod(jvm.runDir, 0711);
    } catch (IOException e) {
      LOG.warning("closing the run dir of JVM seed " + jvm.id + ": " + e.getMessage());
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.fine("removing " + p + ": " + e);
    }
  }

  /**
   * Why a JVM seed ended (or is ending), for its instances' calls: the heap exhausted (the JVM runs
   * with ExitOnOutOfMemoryError and says so on its output before it exits, so this is known even
   * before the exit is seen), else how it exited; null while it runs.
   */
  static String exitReason(Integer waitStatus, Path output) {
    String tail = RunDirs.tail(output);
    int at = tail.lastIndexOf("Terminating due to java.lang.OutOfMemoryError");
    if (at >= 0) {
      String line = tail.substring(at + "Terminating due to ".length()).split("\n", 2)[0].strip();
      return "its JVM seed ran out of memory (" + line + ") and exited with every instance in it";
    }
    return waitStatus == null ? null
        : "its JVM seed exited (" + Readiness.describeExit(waitStatus) + ") with every instance in it";
  }

  /** Kills every JVM seed (forkd is closing). */
  @Override
  public void close() {
    for (JvmSeed jvm : seeds.values()) {
      jvm.container.kill();
    }
    for (JvmSeed jvm : seeds.values()) {
      containers.delete(jvm);
    }
    seeds.clear();
  }
}
