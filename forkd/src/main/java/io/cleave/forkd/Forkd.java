package io.cleave.forkd;

import io.cleave.forkd.api.ForkdHealth;
import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.StartMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The fork daemon's state and operations: start cold instances, seeds and forks in lean
 * containers, report on them, delete them, and clean up after itself (and after a crashed
 * predecessor on the same data dir). Every method blocks: callers run them off the event loop.
 */
final class Forkd implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd");
  private static final long MIB = 1024 * 1024;
  private static final int MIN_MEMORY_MB = 16;
  /** Inside the container (docs/CONTRACTS.md). */
  private static final String RUN = "/cleave/run";
  private static final String CHILDREN = "/cleave/children";
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  /** sun_path holds 108 bytes including the terminating NUL. */
  private static final int MAX_SOCKET_PATH = 107;
  /** Fork slots kept ready: enough for a burst of forks while the refill catches up. */
  private static final int FORK_SLOTS = 8;

  private final ForkdConfig config;
  private final CgroupLayout cgroups;
  private final ContainerPool pool;
  private final UidRange uids;
  private final ExitEvents exits;
  private final PathWatch paths = PathWatch.open();
  private final ForkSlots slots;
  private final FileChannel lockFile;
  private final Map<String, Instance> instances = new ConcurrentHashMap<>();
  private final long memTotalBytes = ProcFs.memTotalBytes();

  private Forkd(ForkdConfig config, CgroupLayout cgroups, Cgroup poolCgroup, ExitEvents exits, FileChannel lockFile) {
    this.config = config;
    this.cgroups = cgroups;
    this.exits = exits;
    this.lockFile = lockFile;
    this.uids = new UidRange(config.uidBase(), config.uidCount());
    List<String> helper = Container.helperCommand(config.helper(), config.stagingRoot(), config.tmpBytes(),
        config.runtimeDir(), List.of(config.dataDir()), poolCgroup.dirs());
    this.pool = new ContainerPool(() -> Container.prepare(helper, 30_000), config.poolSize());
    this.slots = new ForkSlots(cgroups, config.slotsDir(), config.pidsMax(), FORK_SLOTS);
  }

  /** Takes the data dir (one forkd per data dir), cleans a predecessor's leftovers, starts the pool. */
  static Forkd open(ForkdConfig config) throws IOException {
    Files.createDirectories(config.runDir());
    FileChannel lockFile = FileChannel.open(config.runDir().resolve("forkd.lock"),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = lockFile.tryLock();
    if (lock == null) {
      lockFile.close();
      throw new IOException("another forkd is running on " + config.dataDir());
    }
    // The longest socket path forkd hands out: run/forks/<seed id>/<child id>/lsnr.sock.
    int longest = config.forksDir().toString().length() + "/s-000000000000/f-000000000000/lsnr.sock".length();
    if (longest > MAX_SOCKET_PATH) {
      lockFile.close();
      throw new IOException("data dir " + config.dataDir() + " is too deep: instance socket paths would be "
          + longest + " bytes, unix sockets allow " + MAX_SOCKET_PATH + " (use a data dir of at most "
          + (config.dataDir().toString().length() - (longest - MAX_SOCKET_PATH)) + " characters)");
    }
    if (!Files.isExecutable(config.helper())) {
      lockFile.close();
      throw new IOException("forkd's helper " + config.helper()
          + " is missing (build it with: make -C forkd/native, or set CLEAVE_FORKD_HELPER)");
    }
    if (config.favorDynmods()) {
      favorDynmods();
    }
    Path dataReal = config.dataDir().toRealPath();
    CgroupLayout cgroups = CgroupLayout.detect("cleave-" + tag(dataReal));
    cleanLeftovers(config, cgroups);
    Files.writeString(config.runDir().resolve("forkd-cgroups"),
        String.join("\n", cgroups.parents().stream().map(Path::toString).toList()) + "\n");
    Files.createDirectories(config.instancesDir());
    Files.createDirectories(config.forksDir());
    Files.createDirectories(config.slotsDir());
    Files.createDirectories(config.stagingRoot());
    InstanceRuntime.install(config.runtimeSource(), config.runtimeDir());
    Cgroup poolCgroup = cgroups.create("pool");
    ForkdConfig real = new ForkdConfig(dataReal, config.socket(), config.helper(), config.runtimeSource(),
        config.poolSize(),
        config.uidBase(), config.uidCount(), config.pidsMax(), config.tmpBytes(), config.logLimitBytes(),
        config.startTimeoutMs(), config.favorDynmods());
    LOG.info("forkd on " + dataReal + ": cgroups " + cgroups.parents() + ", pool " + config.poolSize());
    return new Forkd(real, cgroups, poolCgroup, ExitEvents.open(), lockFile);
  }

  ForkdHealth health() {
    int seeds = 0;
    int others = 0;
    for (Instance i : instances.values()) {
      if (i instanceof Instance.Seed) {
        seeds++;
      } else {
        others++;
      }
    }
    return new ForkdHealth(true, new ForkdHealth.Pool(pool.ready(), pool.target()), others, seeds);
  }

  // ---------------------------------------------------------------------------------- start

  StartedInstance start(StartRequest r) {
    long t0 = System.nanoTime();
    if (r.mode() == null) {
      throw bad("mode must be one of cold, seed, fork");
    }
    String fnId = required(r.fnId(), "fn_id");
    String appId = required(r.appId(), "app_id");
    int memoryMb = memory(r.memoryMb());
    Map<String, String> env = checkedEnv(r.env());
    if (r.mode() == StartMode.FORK) {
      return fork(required(r.seedId(), "seed_id"), fnId, appId, memoryMb, env, t0);
    }
    Path bundle = bundle(r.bundleDir());
    List<String> command = command(r.command(), bundle);
    return startContainer(r.seed(), fnId, appId, memoryMb, bundle, command, env, t0);
  }

  private StartedInstance startContainer(boolean seed, String fnId, String appId, int memoryMb, Path bundle,
      List<String> command, Map<String, String> requestEnv, long t0) {
    String id = newId(seed ? "s" : "c");
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
      runDir(runDir);
      if (seed) {
        Files.createDirectory(childrenDir);
        chmod(childrenDir, 0711);
      }
      cgroup = cgroups.create("i-" + id);
      cgroups.limit(cgroup, memoryMb * MIB, config.pidsMax(), cpuShares(memoryMb));
      Map<String, String> env = baseEnv(fnId, appId, memoryMb, requestEnv);
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
      byte[] order = Container.order(single, repeated);

      Path ready = runDir.resolve(seed ? "ctl.sock" : "lsnr.sock");
      container = pool.take();
      long pid;
      try (PathWatch.Watch watch = paths.watch(runDir)) {
        long nsPid = container.start(order, config.startTimeoutMs());
        Container c = container;
        // An instance that exits at once is gone before we look: awaitReady reports how it ended.
        pid = findChild(container.initPid(), nsPid);
        awaitReady(watch, ready, t0, () -> c.mainExit() == null && c.alive(),
            () -> describeExit(c.mainExit()), runDir.resolve("output"));
        if (pid < 0) {
          throw new ApiError(502, "instance vanished while starting (" + describeExit(c.mainExit()) + ")");
        }
      }
      takeOver(ready);
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
      instances.put(id, instance);
      started = true;
      return new StartedInstance(id, pid, seed ? null : ready.toString(), StartMode.COLD, millisSince(t0));
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
        deleteTree(runDir);
        if (childrenDir != null) {
          deleteTree(childrenDir);
        }
        uids.release(uid);
      }
    }
  }

  private StartedInstance fork(String seedId, String fnId, String appId, int memoryMb, Map<String, String> requestEnv,
      long t0) {
    Instance found = instances.get(seedId);
    if (found == null) {
      throw new ApiError(404, "seed " + seedId + " not found");
    }
    if (!(found instanceof Instance.Seed seed)) {
      throw bad("instance " + seedId + " is not a seed");
    }
    if (seed.deleted || !seed.handle.alive()) {
      throw new ApiError(409, "seed " + seedId + " has exited");
    }
    ForkSlots.Slot slot;
    try {
      slot = slots.take();
    } catch (IOException e) {
      throw new ApiError(500, "cannot prepare a fork: " + e.getMessage());
    }
    String id = slot.id();
    Path runDir = seed.childrenDir.resolve(id);
    Cgroup cgroup = slot.cgroup();
    PidHandle handle = null;
    Instance.Forked child = null;
    boolean started = false;
    try {
      Files.move(slot.stagedDir(), runDir, StandardCopyOption.ATOMIC_MOVE);
      Path output = runDir.resolve("output");
      Map<String, String> env = new LinkedHashMap<>(requestEnv);
      env.put("FN_FORMAT", "http-stream");
      env.put("FN_APP_ID", appId);
      env.put("FN_FN_ID", fnId);
      env.put("FN_MEMORY", Integer.toString(memoryMb));
      String inside = CHILDREN + "/" + id;
      env.put("FN_LISTENER", "unix:" + inside + "/lsnr.sock");
      Path ready = runDir.resolve("lsnr.sock");
      try (PathWatch.Watch watch = paths.watch(runDir)) {
        long nsPid;
        try {
          nsPid = seed.control.fork(id, "unix:" + inside + "/lsnr.sock", inside + "/output", env,
              config.startTimeoutMs());
        } catch (SeedControl.NotForkable notForkable) {
          // The seed's reason as it is: the invoker falls back to another start mode and records why.
          throw new ApiError(422, notForkable.getMessage());
        } catch (SeedControl.Refused refused) {
          throw new ApiError(502, "seed " + seedId + " refused the fork: " + refused.getMessage());
        }
        // Limits go in while the child starts up, before it joins the cgroup.
        cgroups.limitMemory(cgroup, memoryMb * MIB, cpuShares(memoryMb));
        long pid = childWithNsPid(seed.pid, nsPid);
        cgroups.join(cgroup, pid);
        handle = PidHandle.open(pid);
        if (exits != null) {
          exits.watch(pid);
        }
        PidHandle h = handle;
        child = new Instance.Forked(id, pid, nsPid, cgroup, runDir, seed, handle);
        Instance.Forked c = child;
        seed.children.add(child);
        awaitReady(watch, ready, t0, () -> h != null && h.alive(), () -> describeExit(exitStatus(c)), output);
        takeOver(ready);
        if (seed.ended.get()) {
          throw new ApiError(409, "seed " + seedId + " was deleted while forking");
        }
        instances.put(id, child);
        started = true;
        return new StartedInstance(id, pid, ready.toString(), StartMode.FORK, millisSince(t0));
      }
    } catch (IOException e) {
      throw new ApiError(502, "fork from seed " + seedId + " failed: " + e.getMessage());
    } finally {
      if (!started) {
        cgroups.remove(cgroup);
        if (handle != null) {
          handle.kill();
          handle.close();
        }
        if (child != null) {
          seed.children.remove(child);
          if (exits != null) {
            exits.forget(child.pid);
          }
        }
        deleteTree(runDir);
        deleteTree(slot.stagedDir());
      }
    }
  }

  /** Waits for the ready socket; a dead or slow instance becomes a 502 or 504 with its output. */
  private void awaitReady(PathWatch.Watch watch, Path ready, long t0, java.util.function.BooleanSupplier alive,
      java.util.function.Supplier<String> exit, Path output) {
    long deadline = t0 + config.startTimeoutMs() * 1_000_000;
    switch (watch.await(ready, deadline, alive)) {
      case APPEARED -> {
        if (!alive.getAsBoolean()) {
          throw new ApiError(502, "instance exited right after it was ready (" + exit.get() + "); output: " + tail(output));
        }
      }
      case DIED -> throw new ApiError(502, "instance exited before it was ready (" + exit.get() + "); output: " + tail(output));
      case TIMED_OUT -> throw new ApiError(504, "instance not ready within " + config.startTimeoutMs()
          + " ms (CLEAVE_FORKD_START_TIMEOUT_MS); output: " + tail(output));
    }
  }

  /**
   * Makes the instance's socket forkd's: root connects to it (forkd, the invoker), so it must be
   * a socket and stay one. Owned by root in the root-owned sticky run dir, the instance can no
   * longer swap it for a link to some host socket; and the run dir closes, so the instance
   * cannot fill the data dir's disk with files of its own either.
   */
  private static void takeOver(Path socket) {
    int mode;
    try {
      Files.setAttribute(socket, "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(socket, "unix:gid", 0, LinkOption.NOFOLLOW_LINKS);
      mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      chmod(socket.getParent(), 0711);
    } catch (IOException e) {
      throw new ApiError(502, "the instance's " + socket.getFileName() + " vanished: " + e.getMessage());
    }
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new ApiError(502, "the instance's " + socket.getFileName() + " is not a socket");
    }
  }

  /** The host pid of {@code parent}'s child whose pid in its own namespace is {@code nsPid}. */
  private static long childWithNsPid(long parent, long nsPid) throws IOException {
    long pid = findChild(parent, nsPid);
    if (pid < 0) {
      throw new IOException("process " + nsPid + " (in the container) is not a child of " + parent + " any more");
    }
    return pid;
  }

  /** Like {@link #childWithNsPid}, -1 when there is no such child (any more). */
  private static long findChild(long parent, long nsPid) {
    // A seed forks from its one thread: look there first, then at every thread's children.
    long pid = newestWithNsPid(ProcFs.mainThreadChildren(parent), nsPid);
    return pid > 0 ? pid : newestWithNsPid(ProcFs.children(parent), nsPid);
  }

  private static long newestWithNsPid(List<Long> children, long nsPid) {
    // The newest child is listed last: search from the end, usually one status read.
    for (int k = children.size() - 1; k >= 0; k--) {
      if (ProcFs.innermostPid(children.get(k)) == nsPid) {
        return children.get(k);
      }
    }
    return -1;
  }

  // --------------------------------------------------------------------------------- status

  InstanceStatus status(String id) {
    Instance i = get(id);
    boolean running = running(i);
    Integer wait = running ? null : exitStatus(i);
    Integer code = null;
    Integer signal = null;
    if (wait != null) {
      if ((wait & 0x7f) == 0) {
        code = (wait >> 8) & 0xff;
      } else {
        signal = wait & 0x7f;
      }
    }
    long logBytes;
    try {
      logBytes = Files.size(i.output());
    } catch (IOException e) {
      logBytes = 0;
    }
    return new InstanceStatus(id, running ? "running" : "exited", code, signal, cgroups.oomKilled(i.cgroup()),
        cgroups.memoryBytes(i.cgroup()), running ? ProcFs.pssBytes(i.pid()) : 0, logBytes);
  }

  private boolean running(Instance i) {
    if (i instanceof Instance.Cold c) {
      return c.container.mainExit() == null && c.container.alive();
    }
    if (i instanceof Instance.Seed s) {
      return !s.deleted && s.handle.alive();
    }
    Instance.Forked f = (Instance.Forked) i;
    return f.handle != null && f.handle.alive();
  }

  private Integer exitStatus(Instance i) {
    if (i instanceof Instance.Cold c) {
      return c.container.mainExit();
    }
    if (i instanceof Instance.Seed s) {
      return s.container.mainExit();
    }
    Instance.Forked f = (Instance.Forked) i;
    if (exits == null) {
      return f.seed.container.reaped(f.nsPid);
    }
    // The exit event trails the pidfd turning readable by a moment: give it that moment.
    long deadline = System.nanoTime() + 100_000_000;
    Integer s;
    while ((s = exits.status(f.pid)) == null && System.nanoTime() < deadline) {
      LockSupport.parkNanos(1_000_000);
    }
    return s != null ? s : f.seed.container.reaped(f.nsPid);
  }

  private static String describeExit(Integer wait) {
    if (wait == null) {
      return "exit status unknown";
    }
    return (wait & 0x7f) == 0 ? "exit code " + ((wait >> 8) & 0xff) : "killed by signal " + (wait & 0x7f);
  }

  /** The output file to read logs from, checked to be the regular file forkd made. */
  Path logs(String id) {
    Path output = get(id).output();
    if (!Files.isRegularFile(output, LinkOption.NOFOLLOW_LINKS)) {
      throw new ApiError(404, "instance " + id + " has no output");
    }
    return output;
  }

  /** Reads output bytes from offset, never following a link the instance may have planted. */
  static byte[] readOutput(Path output, long offset, long max) throws IOException {
    try (FileChannel ch = FileChannel.open(output, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long size = ch.size();
      if (offset >= size) {
        return new byte[0];
      }
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size - offset, max));
      while (buf.hasRemaining() && ch.read(buf, offset + buf.position()) > 0) {
        // keep reading until the buffer is full or the file ends
      }
      return buf.position() == buf.capacity() ? buf.array() : java.util.Arrays.copyOf(buf.array(), buf.position());
    }
  }

  // --------------------------------------------------------------------------------- delete

  void delete(String id) {
    Instance i = instances.remove(id);
    if (i == null) {
      throw new ApiError(404, "instance " + id + " not found");
    }
    if (i instanceof Instance.Cold c) {
      c.container.killAndWait();
      cgroups.remove(c.cgroup);
      deleteTree(c.runDir);
      uids.release(c.uid);
    } else if (i instanceof Instance.Seed s) {
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
      deleteTree(s.runDir);
      if (s.children.isEmpty()) {
        endSeedContainer(s);
      }
    } else {
      Instance.Forked f = (Instance.Forked) i;
      cgroups.remove(f.cgroup);
      if (f.handle != null) {
        f.handle.close();
      }
      if (exits != null) {
        exits.forget(f.pid);
      }
      deleteTree(f.runDir);
      f.seed.children.remove(f);
      if (f.seed.deleted && f.seed.children.isEmpty()) {
        endSeedContainer(f.seed);
      }
    }
  }

  private void endSeedContainer(Instance.Seed s) {
    if (s.ended.compareAndSet(false, true)) {
      s.container.killAndWait();
      deleteTree(s.childrenDir);
      uids.release(s.uid);
    }
  }

  private Instance get(String id) {
    Instance i = instances.get(id);
    if (i == null) {
      throw new ApiError(404, "instance " + id + " not found");
    }
    return i;
  }

  // ------------------------------------------------------------------------------- shutdown

  /** Kills everything this forkd started and removes its cgroups and run dirs. */
  @Override
  public void close() {
    pool.close();
    slots.close();
    List<Instance> all = new ArrayList<>(instances.values());
    instances.clear();
    for (Instance i : all) {
      container(i).kill();
    }
    for (Instance i : all) {
      container(i).killAndWait();
      if (i instanceof Instance.Seed s) {
        s.control.close();
        s.handle.close();
      } else if (i instanceof Instance.Forked f && f.handle != null) {
        f.handle.close();
      }
    }
    for (Path parent : cgroups.parents()) {
      CgroupLayout.removeTree(parent);
    }
    deleteChildren(config.instancesDir());
    deleteChildren(config.forksDir());
    deleteChildren(config.slotsDir());
    if (exits != null) {
      exits.close();
    }
    paths.close();
    try {
      Files.deleteIfExists(config.socket());
      Files.deleteIfExists(config.runDir().resolve("forkd-cgroups"));
      lockFile.close();
    } catch (IOException e) {
      LOG.warning("cleanup of " + config.runDir() + ": " + e);
    }
  }

  private static Container container(Instance i) {
    if (i instanceof Instance.Cold c) {
      return c.container;
    }
    if (i instanceof Instance.Seed s) {
      return s.container;
    }
    return ((Instance.Forked) i).seed.container;
  }

  /** What a forkd that died without cleaning up left: processes, cgroups, run dirs, socket. */
  private static void cleanLeftovers(ForkdConfig config, CgroupLayout cgroups) throws IOException {
    List<Path> parents = new ArrayList<>(cgroups.parents());
    Path recorded = config.runDir().resolve("forkd-cgroups");
    if (Files.exists(recorded)) {
      for (String line : Files.readAllLines(recorded)) {
        if (!line.isBlank() && !parents.contains(Path.of(line.trim()))) {
          parents.add(Path.of(line.trim()));
        }
      }
    }
    for (Path parent : parents) {
      if (Files.isDirectory(parent)) {
        LOG.info("removing leftover cgroups under " + parent);
        CgroupLayout.removeTree(parent);
      }
    }
    deleteChildren(config.instancesDir());
    deleteChildren(config.forksDir());
    deleteChildren(config.slotsDir());
    Files.deleteIfExists(config.socket());
  }

  // -------------------------------------------------------------------------------- helpers

  /** A run dir the instance can create its socket in but where it cannot replace forkd's files. */
  static void runDir(Path dir) throws IOException {
    Files.createDirectory(dir);
    chmod(dir, 01733);
  }

  private static void chmod(Path path, int mode) throws IOException {
    if (LibC.INSTANCE.chmod(path.toString(), mode) != 0) {
      throw new IOException(LibC.describe("chmod " + Integer.toOctalString(mode) + " " + path));
    }
  }

  private Map<String, String> baseEnv(String fnId, String appId, int memoryMb, Map<String, String> requestEnv) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", "/tmp");
    env.put("LANG", "C.UTF-8");
    env.putAll(requestEnv);
    env.put("FN_FORMAT", "http-stream");
    env.put("FN_APP_ID", appId);
    env.put("FN_FN_ID", fnId);
    env.put("FN_MEMORY", Integer.toString(memoryMb));
    return env;
  }

  private static int cpuShares(int memoryMb) {
    // CPU follows memory, as on Lambda: 1024 MB weighs like one ordinary process.
    return Math.max(2, Math.min(262_144, memoryMb));
  }

  static String newId(String prefix) {
    byte[] b = new byte[6];
    ThreadLocalRandom.current().nextBytes(b);
    return prefix + "-" + HexFormat.of().formatHex(b);
  }

  private static String required(String value, String field) {
    if (value == null || value.isBlank()) {
      throw bad(field + " is required");
    }
    return value;
  }

  private int memory(Integer memoryMb) {
    if (memoryMb == null) {
      throw bad("memory_mb is required");
    }
    long maxMb = memTotalBytes / MIB;
    if (memoryMb < MIN_MEMORY_MB || memoryMb > maxMb) {
      throw bad("memory_mb must be within " + MIN_MEMORY_MB + ".." + maxMb + ", got " + memoryMb);
    }
    return memoryMb;
  }

  private static Map<String, String> checkedEnv(Map<String, String> env) {
    if (env == null) {
      return Map.of();
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      String k = e.getKey();
      if (k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf('\0') >= 0) {
        throw bad("env name '" + k + "' is not a valid variable name");
      }
      if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
        throw bad("env " + k + " needs a string value without NUL bytes");
      }
    }
    return env;
  }

  private Path bundle(String bundleDir) {
    String dir = required(bundleDir, "bundle_dir");
    Path p = Path.of(dir);
    if (!p.isAbsolute()) {
      throw bad("bundle_dir must be an absolute path, got " + dir);
    }
    if (!Files.isDirectory(p)) {
      throw bad("bundle_dir " + dir + " is not a directory");
    }
    try {
      return p.toRealPath();
    } catch (IOException e) {
      throw bad("bundle_dir " + dir + ": " + e.getMessage());
    }
  }

  /** command[0] must be an executable the container can see: the read-only host root or /function. */
  private List<String> command(List<String> command, Path bundle) {
    if (command == null || command.isEmpty()) {
      throw bad("command is required (a non-empty array)");
    }
    for (String arg : command) {
      if (arg == null || arg.indexOf('\0') >= 0) {
        throw bad("command arguments must be strings without NUL bytes");
      }
    }
    String exe = command.get(0);
    if (!exe.startsWith("/")) {
      throw bad("command[0] must be an absolute path, got " + exe);
    }
    Path inside = Path.of(exe).normalize();
    Path host;
    if (inside.startsWith("/function")) {
      host = bundle.resolve(Path.of("/function").relativize(inside).toString()).normalize();
      if (!host.startsWith(bundle)) {
        throw bad("command[0] " + exe + " leaves /function");
      }
    } else if (Stream.of("/tmp", "/proc", "/dev", "/cleave").anyMatch(inside::startsWith)
        || inside.startsWith(config.dataDir())) {
      throw bad("command[0] " + exe + " is not visible inside the container");
    } else {
      host = inside;
    }
    try {
      if (!Files.isRegularFile(host)
          || !Files.getPosixFilePermissions(host).contains(PosixFilePermission.OTHERS_EXECUTE)) {
        throw bad("command[0] " + exe + " is not an executable file for an unprivileged user");
      }
    } catch (IOException e) {
      throw bad("command[0] " + exe + " does not exist");
    }
    return command;
  }

  private static ApiError bad(String message) {
    return new ApiError(400, message);
  }

  private static double millisSince(long t0) {
    return Math.round((System.nanoTime() - t0) / 10_000.0) / 100.0;
  }

  private static String tail(Path output) {
    try {
      byte[] all = readOutput(output, Math.max(0, Files.size(output) - 2000), 2000);
      String s = new String(all, StandardCharsets.UTF_8).strip();
      return s.isEmpty() ? "(none)" : s;
    } catch (IOException e) {
      return "(none)";
    }
  }

  private static String tag(Path dataDir) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(dataDir.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * cgroup moves wait for an RCU grace period (~10 ms here) unless the hierarchy favours dynamic
   * modifications; a fork child's move is on the critical path, so ask for it. The switch is
   * global and stays on: it trades a little fork/exit speed for cheap migrations.
   */
  private static void favorDynmods() throws IOException {
    for (CgroupLayout.Mount m : CgroupLayout.Mount.all()) {
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

  private static void deleteChildren(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> children = Files.list(dir)) {
      children.forEach(Forkd::deleteTree);
    } catch (IOException e) {
      LOG.warning("cannot list " + dir + ": " + e);
    }
  }

  /** Deletes a run dir without following links the instance may have left in it. */
  static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          LOG.warning("cannot delete " + p + ": " + e);
        }
      });
    } catch (NoSuchFileException gone) {
      // already removed
    } catch (IOException e) {
      LOG.warning("cannot delete " + dir + ": " + e);
    }
  }
}
