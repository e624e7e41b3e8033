package io.cleave.forkd;

import io.cleave.forkd.api.ForkdHealth;

import io.cleave.common.error.ApiError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Cold instances and seeds, each in a lean container of its own taken from a pool prepared
 * ahead, with a cgroup and an unprivileged uid of its own. A seed's container outlives the seed
 * while its children run in it.
 */
final class ContainerStarts implements AutoCloseable {
  /** Inside the container (docs/CONTRACTS.md). */
  private static final String RUN = "/cleave/run";
  /** Preparing a container spawns a helper that sets up namespaces and mounts: bounded apart from starts. */
  private static final long PREPARE_TIMEOUT_MS = 30_000;

  private final ForkdConfig config;
  private final CgroupLayout cgroups;
  private final Readiness readiness;
  private final UidRange uids;
  private final MadeAhead<Container> pool;

  ContainerStarts(ForkdConfig config, CgroupLayout cgroups, Cgroup poolCgroup, Readiness readiness) {
    this.config = config;
    this.cgroups = cgroups;
    this.readiness = readiness;
    this.uids = new UidRange(config.uidBase(), config.uidCount());
    List<String> helper = Container.helperCommand(config.helper(), config.stagingRoot(), config.tmpBytes(),
        config.runtimeDir(), List.of(config.dataDir()), poolCgroup.dirs());
    this.pool = new MadeAhead<>("container", () -> Container.prepare(helper, PREPARE_TIMEOUT_MS),
        Container::alive, Container::killAndWait, config.poolSize());
  }

  ForkdHealth.Pool pool() {
    return new ForkdHealth.Pool(pool.ready(), pool.target());
  }

  /** Starts a cold instance or a seed; answers once it is ready. A failed start leaves nothing behind. */
  Instance start(boolean seed, StartSpec spec, Path bundle, List<String> command, long t0) {
    String id = Instance.newId(seed ? "s" : "c");
    int uid = uids.acquire();
    if (uid < 0) {
      throw new ApiError(503, "no free uid for another container (CLEAVE_FORKD_UIDS=" + config.uidCount() + ")", 1);
    }
    Path runDir = config.instancesDir().resolve(id);
    Path childrenDir = seed ? config.forksDir().resolve(id) : null;
    Cgroup cgroup = null;
    Container container = null;
    PidHandle handle = null;
    boolean started = false;
    try {
      RunDirs.make(runDir);
      if (seed) {
        Files.createDirectory(childrenDir);
        RunDirs.chmod(childrenDir, 0711);
      }
      cgroup = cgroups.create("i-" + id);
      cgroups.limit(cgroup, spec.memoryBytes(), config.pidsMax(), spec.cpuShares());
      byte[] order = order(seed, id, uid, spec, bundle, command, runDir, childrenDir, cgroup);

      Path ready = runDir.resolve(seed ? "ctl.sock" : "lsnr.sock");
      container = pool.take();
      long pid;
      try (PathWatch.Watch watch = readiness.watch(runDir)) {
        long nsPid = container.start(order, readiness.timeoutMs());
        Container c = container;
        // An instance that exits at once is gone before we look: await reports how it ended.
        pid = ProcFs.findChild(container.initPid(), nsPid);
        readiness.await(watch, ready, t0, () -> c.mainExit() == null && c.alive(),
            () -> Readiness.describeExit(c.mainExit()), runDir.resolve("output"));
        if (pid < 0) {
          throw new ApiError(502, "instance vanished while starting (" + Readiness.describeExit(c.mainExit()) + ")");
        }
      }
      RunDirs.takeOver(ready);
      Instance instance;
      if (seed) {
        handle = PidHandle.open(pid);
        if (handle == null) {
          throw new ApiError(502, "seed exited right after it was ready");
        }
        SeedControl control = SeedControl.connect(ready);
        instance = new Instance.Seed(id, pid, cgroup, runDir, childrenDir, container, uid, handle, control);
      } else {
        instance = new Instance.Cold(id, pid, cgroup, runDir, container, uid);
      }
      started = true;
      return instance;
    } catch (Container.StartFailure f) {
      String m = f.getMessage();
      throw new ApiError(m.startsWith("execute ") ? 400 : 500, "cannot start the instance: " + m);
    } catch (IOException e) {
      throw new ApiError(500, "cannot start the instance: " + e.getMessage());
    } finally {
      if (!started) {
        if (container != null) {
          container.killAndWait();
        }
        if (handle != null) {
          handle.close();
        }
        if (cgroup != null) {
          cgroups.remove(cgroup);
        }
        RunDirs.deleteTree(runDir);
        if (childrenDir != null) {
          RunDirs.deleteTree(childrenDir);
        }
        uids.release(uid);
      }
    }
  }

  /** The helper's start order: what to bind where, as whom, in which cgroup, running what. */
  private byte[] order(boolean seed, String id, int uid, StartSpec spec, Path bundle, List<String> command,
      Path runDir, Path childrenDir, Cgroup cgroup) {
    Map<String, String> defaults = new LinkedHashMap<>();
    defaults.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    defaults.put("HOME", "/tmp");
    defaults.put("LANG", "C.UTF-8");
    Map<String, String> env = spec.instanceEnv(defaults);
    if (seed) {
      env.remove("FN_LISTENER");
      env.put("CLEAVE_MODE", "seed");
      env.put("CLEAVE_CONTROL", "unix:" + RUN + "/ctl.sock");
    } else {
      env.put("CLEAVE_MODE", "cold");
      env.put("FN_LISTENER", "unix:" + RUN + "/lsnr.sock");
    }
    Map<String, String> single = new LinkedHashMap<>();
    single.put("bundle", bundle.toString());
    single.put("run", runDir.toString());
    if (seed) {
      single.put("children", childrenDir.toString());
    }
    single.put("output", runDir.resolve("output").toString());
    single.put("hostname", id);
    single.put("uid", Integer.toString(uid));
    single.put("gid", Integer.toString(uid));
    single.put("fsize", Long.toString(config.logLimitBytes()));
    Map<String, List<String>> repeated = new LinkedHashMap<>();
    repeated.put("cgroup", cgroup.dirs().stream().map(Path::toString).toList());
    repeated.put("arg", command);
    repeated.put("env", env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    return Container.order(single, repeated);
  }

  /** Kills a cold instance with its container; removes its cgroup and run dir, frees its uid. */
  void delete(Instance.Cold c) {
    c.container.killAndWait();
    cgroups.remove(c.cgroup);
    RunDirs.deleteTree(c.runDir);
    uids.release(c.uid);
  }

  /** Kills the seed alone: its container stays while its children run. */
  void delete(Instance.Seed s) {
    s.deleted = true;
    s.handle.kill();
    s.control.close();
    // Gone once the container's init reaped it (it reports the exit), not merely dead.
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (s.container.mainExit() == null && s.container.alive() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(200_000);
    }
    s.handle.close();
    cgroups.remove(s.cgroup);
    RunDirs.deleteTree(s.runDir);
    if (s.children.isEmpty()) {
      endSeedContainer(s);
    }
  }

  /** Tears down a deleted seed's container once its last child is gone (exactly once). */
  void endSeedContainer(Instance.Seed s) {
    if (s.ended.compareAndSet(false, true)) {
      s.container.killAndWait();
      RunDirs.deleteTree(s.childrenDir);
      uids.release(s.uid);
    }
  }

  /** Stops preparing containers and kills the unused ones. */
  @Override
  public void close() {
    pool.close();
  }
}
