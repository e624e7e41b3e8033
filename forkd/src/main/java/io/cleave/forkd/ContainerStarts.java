package io.cleave.forkd;

import io.cleave.forkd.api.ForkdHealth;
import io.cleave.forkd.api.RemoteRef;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.FnNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Cold instances, seeds and remote children, each in a lean container of its own taken from a
 * pool prepared ahead, with a cgroup and an unprivileged uid (remote children of one handle share
 * one, see {@link RemoteHandles}). A seed's container outlives the seed while its children run in it.
 * Pooled containers are loopback-only; an outbound function's gets its veth on the node bridge
 * when it is taken for the start.
 */
final class ContainerStarts implements AutoCloseable {
  /** Inside the container (docs/CONTRACTS.md). */
  static final String RUN = "/cleave/run";
  /** Preparing a container spawns a helper that sets up namespaces and mounts: bounded apart from starts. */
  private static final long PREPARE_TIMEOUT_MS = 30_000;

  private final ForkdConfig config;
  private final CgroupLayout cgroups;
  private final Readiness readiness;
  private final UidRange uids;
  private final List<String> helper;
  private final MadeAhead<Container> pool;
  private final NodeBridge bridge;

  ContainerStarts(ForkdConfig config, CgroupLayout cgroups, Cgroup poolCgroup, Readiness readiness, UidRange uids,
      boolean withKmod, NodeBridge bridge) {
    this.config = config;
    this.bridge = bridge;
    this.cgroups = cgroups;
    this.readiness = readiness;
    this.uids = uids;
    List<String> helper = Container.helperCommand(config.helper(), config.stagingRoot(), config.tmpBytes(),
        config.runtimeDir(), config.javaRuntimeDir(), withKmod ? config.kmodDir() : null, poolCgroup.dirs(),
        config.hostNetwork());
    this.helper = helper;
    this.pool = new MadeAhead<>("container", this::prepare, Container::alive, Container::killAndWait,
        config.poolSize());
  }

  /** A lean container prepared now (namespaces unshared, file system view mounted), waiting for its order. */
  Container prepare() throws IOException {
    return Container.prepare(helper, PREPARE_TIMEOUT_MS);
  }

  ForkdHealth.Pool pool() {
    return new ForkdHealth.Pool(pool.ready(), pool.target());
  }

  /**
   * Starts a cold instance or a seed; answers once it is ready. A seed given {@code preparer}
   * is prepared then; a {@code keep} seed is a kept instance (it also serves calls on
   * {@code lsnr.sock}, bound before its control socket). A failed start leaves nothing behind.
   */
  Instance start(boolean seed, boolean keep, SeedPreparer preparer, StartSpec spec, Path bundle, List<String> command,
      long t0) {
    String id = Instance.newId(seed ? "s" : "c");
    int uid = uids.acquire();
    if (uid < 0) {
      throw new ApiError(503, "no free uid for another container (CLEAVE_FORKD_UIDS=" + config.uidCount() + ")", 1);
    }
    Path runDir = config.instancesDir().resolve(id);
    Path childrenDir = seed ? config.forksDir().resolve(id) : null;
    Launched launched = null;
    PidHandle handle = null;
    SeedControl control = null;
    boolean started = false;
    try {
      RunDirs.make(runDir);
      if (seed) {
        // A kept instance's stays on the data dir: its consumers' bundles are hard-linked there.
        RunDirs.makeChildrenDir(childrenDir, keep ? null : config.childrenTmpfs());
      }
      Map<String, String> env = env(spec);
      Map<String, String> extra = new LinkedHashMap<>();
      if (keep) {
        env.put("CLEAVE_MODE", "keep");
        env.put("FN_LISTENER", "unix:" + RUN + "/lsnr.sock");
        env.put("CLEAVE_CONTROL", "unix:" + RUN + "/ctl.sock");
        extra.put("children", childrenDir.toRealPath().toString());
      } else if (seed) {
        env.remove("FN_LISTENER");
        env.put("CLEAVE_MODE", "seed");
        env.put("CLEAVE_CONTROL", "unix:" + RUN + "/ctl.sock");
        extra.put("children", childrenDir.toRealPath().toString());
        if (preparer != null) {
          extra.put("pageserver", preparer.socketDir().toString());
        }
      } else {
        env.put("CLEAVE_MODE", "cold");
        env.put("FN_LISTENER", "unix:" + RUN + "/lsnr.sock");
      }
      launched = launch(id, null, null, uid, spec, bundle, runDir, command, env, extra, seed ? "ctl.sock" : "lsnr.sock",
          config.logLimitBytes(), t0, false);
      if (!seed) {
        started = true;
        return new Instance.Cold(id, launched.pid, launched.cgroup, runDir, launched.container, launched.link, uid);
      }
      handle = PidHandle.open(launched.pid);
      if (handle == null) {
        throw new ApiError(502, "seed exited right after it was ready");
      }
      if (keep) {
        RunDirs.takeOver(runDir.resolve("lsnr.sock")); // bound before the control socket appeared
      }
      control = SeedControl.connect(runDir.resolve("ctl.sock"));
      Instance.Seed s = new Instance.Seed(id, launched.pid, launched.cgroup, runDir, childrenDir, launched.container,
          launched.link, uid, handle, control, preparer != null, keep, command.get(0));
      if (preparer != null) {
        s.remote = preparer.prepare(s);
      }
      started = true;
      return s;
    } catch (IOException e) {
      throw new ApiError(500, "cannot start the instance: " + e.getMessage());
    } finally {
      if (!started) {
        if (control != null) {
          control.close();
        }
        if (handle != null) {
          handle.close();
        }
        if (launched != null) {
          discard(launched);
        }
        RunDirs.deleteTree(runDir);
        if (childrenDir != null) {
          RunDirs.deleteChildrenDir(childrenDir);
        }
        uids.release(uid);
      }
    }
  }

  /**
   * Starts a JVM seed ({@code command} runs the JVM) whose first instance, {@code firstId}, serves
   * calls on {@code <firstId>.sock} in the run dir; ready once that listener is bound (the control
   * socket is bound before it). Its cgroup starts with one instance's limits. A failed start leaves
   * nothing behind.
   */
  JvmSeed startJvm(StartSpec spec, Path bundle, List<String> command, String firstId, long t0) {
    String id = Instance.newId("j");
    int uid = uids.acquire();
    if (uid < 0) {
      throw new ApiError(503, "no free uid for another container (CLEAVE_FORKD_UIDS=" + config.uidCount() + ")", 1);
    }
    Path runDir = config.instancesDir().resolve(id);
    Launched launched = null;
    SeedControl control = null;
    boolean started = false;
    try {
      RunDirs.make(runDir);
      Map<String, String> env = env(spec);
      env.put("FN_LISTENER", "unix:" + JvmSeed.listenerInside(firstId));
      env.put("CLEAVE_JAVA_CONTROL", "unix:" + RUN + "/ctl.sock");
      env.put("CLEAVE_INSTANCE_ID", firstId);
      // From /, where a deploy's AppCDS class path (cleave/sdk-java/... or ../cleave/sdk-java/...) resolves.
      launched = launch(id, null, null, uid, spec, bundle, runDir, command, env, Map.of("workdir", "/"), firstId + ".sock",
          config.logLimitBytes(), t0, false);
      RunDirs.takeOver(runDir.resolve("ctl.sock")); // bound before the first listener appeared
      control = SeedControl.connect(runDir.resolve("ctl.sock"));
      JvmSeed jvm = new JvmSeed(id, launched.pid, launched.cgroup, runDir, launched.container, launched.link, uid,
          control, spec);
      started = true;
      return jvm;
    } catch (IOException e) {
      throw new ApiError(500, "cannot start the JVM seed: " + e.getMessage());
    } finally {
      if (!started) {
        if (control != null) {
          control.close();
        }
        if (launched != null) {
          discard(launched);
        }
        RunDirs.deleteTree(runDir);
        uids.release(uid);
      }
    }
  }

  /** Kills a JVM seed with its container; removes its cgroup and run dir, frees its uid (exactly once). */
  void delete(JvmSeed jvm) {
    if (jvm.ended.compareAndSet(false, true)) {
      jvm.control.close();
      end(jvm.container, jvm.link);
      cgroups.remove(jvm.cgroup);
      RunDirs.deleteTree(jvm.runDir);
      uids.release(jvm.uid);
    }
  }

  /** How a seed started with {@code prepare} gets its snapshot taken (see {@link Forkd}). */
  interface SeedPreparer {
    /** The page server's socket dir, bound into the seed's container. */
    Path socketDir();

    /** Prepares the ready seed; an {@link ApiError} fails its start. */
    RemoteRef prepare(Instance.Seed seed);
  }

  /** Ends a started container instance (a held restorer nobody let go): its container and cgroup. */
  void discard(Launched held) {
    end(held.container, held.link);
    cgroups.remove(held.cgroup);
  }

  static Map<String, String> env(StartSpec spec) {
    Map<String, String> defaults = new LinkedHashMap<>();
    defaults.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    defaults.put("HOME", "/tmp");
    defaults.put("LANG", "C.UTF-8");
    return spec.instanceEnv(defaults);
  }

  /** A started container instance: its container, its veth (null: loopback only), host pid and cgroup. */
  record Launched(Container container, NodeBridge.Link link, long pid, Cgroup cgroup) {}


  /** Kills a container and takes its veth off the bridge. */
  private void end(Container container, NodeBridge.Link link) {
    container.killAndWait();
    if (link != null) {
      bridge.detach(link);
    }
  }

  /**
   * Makes the cgroup (or takes {@code made}, one with its pids limit set), sends the order to
   * {@code prepared} (null: a pooled container) and waits for {@code ready} in the run dir (not
   * when {@code held}: only for the exec). On failure the container and cgroup are gone (the uid
   * and run dir are the caller's).
   */
  Launched launch(String id, Cgroup made, Container prepared, int uid, StartSpec spec, Path bundle, Path runDir,
      List<String> command, Map<String, String> env, Map<String, String> extra, String readyName, long fileSizeLimit,
      long t0, boolean held) {
    Cgroup cgroup = made;
    Container container = prepared;
    NodeBridge.Link link = null;
    boolean started = false;
    boolean outbound = spec.network() == FnNetwork.OUTBOUND;
    try {
      if (outbound) {
        bridge.require();
      }
      if (made == null) {
        cgroup = cgroups.create("i-" + id);
        cgroups.limitPids(cgroup, config.pidsMax());
      }
      cgroups.limitMemoryAndCpu(cgroup, spec.memoryBytes(), spec.cpuShares(), spec.cpuQuotaUs(config.mbPerCpu()));
      Map<String, String> single = new LinkedHashMap<>();
      single.put("bundle", bundle.toString());
      single.put("run", runDir.toString());
      single.putAll(extra);
      single.put("output", runDir.resolve("output").toString());
      single.put("hostname", id);
      single.put("uid", Integer.toString(uid));
      single.put("gid", Integer.toString(uid));
      if (fileSizeLimit > 0) {
        single.put("fsize", Long.toString(fileSizeLimit));
      }
      Map<String, List<String>> repeated = new LinkedHashMap<>();
      repeated.put("cgroup", cgroup.dirs().stream().map(Path::toString).toList());
      repeated.put("arg", command);
      repeated.put("env", env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());

      Path ready = runDir.resolve(readyName);
      if (container == null) {
        container = pool.take();
      }
      if (outbound) {
        link = bridge.attach(container.initPid());
        single.putAll(bridge.orderEntries(link));
        repeated.put("nameserver", bridge.nameservers());
      }
      byte[] order = Container.order(single, repeated);
      long pid;
      if (held) {
        pid = ProcFs.findChild(container.initPid(), container.start(order, readiness.timeoutMs()));
        if (pid < 0) {
          throw new ApiError(502, "held restorer vanished while starting (" + Readiness.describeExit(container.mainExit())
              + ")");
        }
        started = true;
        return new Launched(container, link, pid, cgroup);
      }
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
      started = true;
      return new Launched(container, link, pid, cgroup);
    } catch (Container.StartFailure f) {
      String m = f.getMessage();
      throw new ApiError(m.startsWith("execute ") ? 400 : 500, "cannot start the instance: " + m);
    } catch (IOException e) {
      throw new ApiError(500, "cannot start the instance: " + e.getMessage());
    } finally {
      if (!started) {
        if (container != null) {
          end(container, link);
        }
        if (cgroup != null) {
          cgroups.remove(cgroup);
        }
      }
    }
  }

  /** Kills a cold instance with its container; removes its cgroup and run dir, frees its uid. */
  void delete(Instance.Cold c) {
    end(c.container, c.link);
    cgroups.remove(c.cgroup);
    RunDirs.deleteTree(c.runDir);
    uids.release(c.uid);
  }

  /** Kills a remote child with its container (and so its restorer); removes its cgroup and run dir. */
  void delete(Instance.Remote r) {
    end(r.container, r.link);
    cgroups.remove(r.cgroup);
    RunDirs.deleteTree(r.runDir);
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
      end(s.container, s.link);
      RunDirs.deleteChildrenDir(s.childrenDir);
      uids.release(s.uid);
    }
  }

  /** Stops preparing containers and kills the unused ones. */
  @Override
  public void close() {
    pool.close();
  }
}
