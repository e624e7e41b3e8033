package io.cleave.forkd;

import io.cleave.forkd.api.ForkdHealth;
import io.cleave.forkd.api.ForkdStats;
import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.RemoteRef;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.StartMode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The fork daemon: the table of the instances it started (cold instances, seeds, fork children,
 * remote children) and the composition of what starts, reports on and removes them, with the
 * node's page server. Every method blocks: callers run them off the event loop.
 */
final class Forkd implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd");
  /** sun_path holds 108 bytes including the terminating NUL. */
  private static final int MAX_SOCKET_PATH = 107;

  private final ForkdConfig config;
  private final CgroupLayout cgroups;
  private final FileChannel lockFile;
  private final StartChecks checks;
  private final Readiness readiness;
  private final NodeBridge bridge;
  private final ContainerStarts containers;
  private final Forks forks;
  private final RemoteChildren remotes;
  private final SeedSnapshots snapshots;
  private final JvmSeeds jvms;
  private final RemoteForkStats stats = new RemoteForkStats();
  private final Map<String, Instance> instances = new ConcurrentHashMap<>();
  private final OutputRotation outputs;
  private final InstanceStatuses statuses;

  private Forkd(ForkdConfig config, CgroupLayout cgroups, Cgroup poolCgroup, FileChannel lockFile, String noRemote,
      NodeBridge bridge) {
    this.config = config;
    this.bridge = bridge;
    this.cgroups = cgroups;
    this.lockFile = lockFile;
    this.checks = new StartChecks(config.dataDir());
    this.readiness = new Readiness(config.startTimeoutMs());
    UidRange uids = new UidRange(config.uidBase(), config.uidCount());
    this.containers = new ContainerStarts(config, cgroups, poolCgroup, readiness, uids, noRemote == null, bridge);
    this.forks = new Forks(config, cgroups, readiness);
    this.jvms = new JvmSeeds(config, cgroups, containers, readiness);
    this.remotes = new RemoteChildren(config, cgroups, readiness, containers,
        new RemoteHandles(uids, config.uidCount(), config.pagecacheDir()), stats.children, noRemote == null);
    this.snapshots = new SeedSnapshots(noRemote, config.startTimeoutMs(), instances::values, stats.handles);
    this.outputs = new OutputRotation(config.logLimitBytes(), instances::values);
    this.statuses = new InstanceStatuses(cgroups, snapshots, forks);
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
      CgroupLayout.favorDynmods();
    }
    Path dataReal = config.dataDir().toRealPath();
    String tag = tag(dataReal);
    CgroupLayout cgroups = CgroupLayout.detect("cleave-" + tag);
    config = config.withChildrenTmpfs(RunDirs.tmpfsHome(config.childrenTmpfs(), RunDirs.HOME_PREFIX + tag));
    Leftovers.takeOver(config, cgroups);
    if (config.childrenTmpfs() != null) {
      RunDirs.claimTmpfsHome(config.childrenTmpfs(), dataReal);
    }
    Files.createDirectories(config.instancesDir());
    Files.createDirectories(config.forksDir());
    Files.createDirectories(config.slotsDir());
    Files.createDirectories(config.remoteSlotsDir());
    Files.createDirectories(config.stagingRoot());
    InstanceRuntime.install(config.runtimeSource(), config.runtimeDir());
    JavaRuntime.prepare(config.javaRuntimeJar(), config.javaRuntimeDir());
    String noRemote = null;
    try {
      ForkPrimitive.install(config.kmodSource(), config.kmodDir());
    } catch (IOException e) {
      noRemote = e.getMessage();
      LOG.warning("no remote fork on this node: " + noRemote);
    }
    Files.createDirectories(config.pagecacheDir());
    Cgroup poolCgroup = cgroups.create("pool");
    ForkdConfig real = config.withDataDir(dataReal);
    LOG.info("forkd on " + dataReal + ": cgroups " + cgroups.parents() + ", pool " + config.poolSize());
    // Last before the Forkd that closes it; it also removes what a crashed predecessor left.
    NodeBridge bridge = config.hostNetwork()
        ? NodeBridge.off(tag, config.outboundSubnet(), "instances use the node's network (CLEAVE_FORKD_INSTANCE_NETWORK=host)")
        : NodeBridge.open(tag, config.outboundSubnet(), config.outboundDeny());
    Forkd forkd = new Forkd(real, cgroups, poolCgroup, lockFile, noRemote, bridge);
    try {
      forkd.snapshots.start(real, cgroups);
    } catch (IOException e) {
      forkd.close();
      throw new IOException("cannot start the page server on " + real.pageserverBind() + ":"
          + real.pageserverPort() + " (CLEAVE_FORKD_PAGESERVER_BIND, CLEAVE_FORKD_PAGESERVER_PORT): "
          + e.getMessage(), e);
    }
    return forkd;
  }

  /** forkd's cgroups are named after the data dir: one forkd per data dir, several per machine. */
  private static String tag(Path dataDir) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(dataDir.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
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
    return new ForkdHealth(true, containers.pool(), others, seeds + jvms.count(), snapshots.address(),
        remotes.slots());
  }

  /** Remote forks of this node and what its page server served, sampled now (GET /v1/stats). */
  ForkdStats stats() {
    for (Instance i : instances.values()) {
      if (i instanceof Instance.Remote r) {
        remotes.sample(r);
      }
    }
    snapshots.sampleServed();
    return stats.snapshot();
  }

  StartedInstance start(StartRequest r) {
    long t0 = System.nanoTime();
    if (r.mode() == StartMode.REMOTE_FORK) {
      try {
        StartedInstance child = startRemote(r, t0);
        stats.started();
        return child;
      } catch (RuntimeException e) {
        stats.failed(e);
        throw e;
      }
    }
    StartSpec spec = checks.spec(r);
    if (r.mode() == StartMode.INSTANCE) {
      JvmSeed jvm = jvms.seed(StartChecks.required(r.seedId(), "seed_id"));
      return started(jvms.add(jvm, spec, t0), t0);
    }
    if (r.mode() == StartMode.FORK) {
      Instance.Seed from = seed(StartChecks.required(r.seedId(), "seed_id"));
      return started(forks.fork(from, spec, consumerCode(from, r), StartChecks.after(from, r), t0), t0);
    }
    Path bundle = checks.bundle(r.bundleDir());
    List<String> command = checks.command(r.command(), bundle);
    boolean seed = r.seed();
    boolean keep = Boolean.TRUE.equals(r.keep());
    if (Boolean.TRUE.equals(r.jvm())) {
      if (seed || keep || r.prepare() != null) {
        throw StartChecks.bad("a JVM seed is started with mode cold: it never forks");
      }
      return started(jvms.start(spec, bundle, command, t0), t0);
    }
    if ((Boolean.TRUE.equals(r.prepare()) || keep) && !seed) {
      throw StartChecks.bad("prepare and keep are for seeds (mode seed)");
    }
    if (keep && Boolean.TRUE.equals(r.prepare())) {
      throw StartChecks.bad("a kept instance is not prepared for remote forks");
    }
    ContainerStarts.SeedPreparer preparer = null;
    if (seed && Boolean.TRUE.equals(r.prepare())) {
      snapshots.require();
      preparer = snapshots;
    }
    return started(containers.start(seed, keep, preparer, spec, bundle, command, t0), t0);
  }

  /**
   * A fork of a kept instance runs the consumer's function, named by its bundle and command; a
   * seed's fork runs the seed's own (and is given neither).
   */
  private Forks.ConsumerCode consumerCode(Instance.Seed from, StartRequest r) {
    if (!from.kept) {
      return null;
    }
    Path bundle = checks.bundle(StartChecks.required(r.bundleDir(), "bundle_dir"));
    return Forks.ConsumerCode.of(checks.command(r.command(), bundle), bundle, from.interpreter);
  }

  private StartedInstance startRemote(StartRequest r, long t0) {
    StartSpec spec = checks.spec(r);
    Path bundle = checks.bundle(r.bundleDir());
    RemoteRef ref = RemoteChildren.checked(r.remote());
    snapshots.require();
    return started(remotes.start(ref, spec, bundle, t0), t0);
  }

  private Instance.Seed seed(String id) {
    Instance found = instances.get(id);
    if (found == null) {
      throw new ApiError(404, "seed " + id + " not found");
    }
    if (!(found instanceof Instance.Seed seed)) {
      throw StartChecks.bad("instance " + id + " is not a seed");
    }
    return seed;
  }

  /** Enters a ready instance in the table and answers for it (docs/CONTRACTS.md). */
  private StartedInstance started(Instance i, long t0) {
    instances.put(i.id(), i);
    if (i instanceof Instance.InJvm v) {
      return new StartedInstance(v.id, v.pid(), v.jvm.listener(v.id).toString(),
          v.first ? StartMode.COLD : StartMode.INSTANCE, millisSince(t0), null, v.jvm.id);
    }
    String listener = i instanceof Instance.Seed s && !s.kept ? null : i.runDir().resolve("lsnr.sock").toString();
    StartMode startMode = i instanceof Instance.Forked ? StartMode.FORK
        : i instanceof Instance.Remote ? StartMode.REMOTE_FORK : StartMode.COLD;
    RemoteRef remote = i instanceof Instance.Seed s ? s.remote : null;
    return new StartedInstance(i.id(), i.pid(), listener, startMode, millisSince(t0), remote, null);
  }

  private static double millisSince(long t0) {
    return Math.round((System.nanoTime() - t0) / 10_000.0) / 100.0;
  }

  InstanceStatus status(String id) {
    return statuses.of(id, get(id));
  }

  /** The output file to read logs from, checked to be the regular file forkd made. */
  Path logs(String id) {
    Path output = get(id).output();
    if (!Files.isRegularFile(output, LinkOption.NOFOLLOW_LINKS)) {
      throw new ApiError(404, "instance " + id + " has no output");
    }
    return output;
  }

  void delete(String id) {
    Instance i = instances.remove(id);
    if (i == null) {
      throw new ApiError(404, "instance " + id + " not found");
    }
    if (i instanceof Instance.Cold c) {
      containers.delete(c);
    } else if (i instanceof Instance.Remote r) {
      remotes.delete(r);
    } else if (i instanceof Instance.Seed s) {
      snapshots.revoke(s);
      containers.delete(s);
    } else if (i instanceof Instance.InJvm v) {
      jvms.delete(v);
    } else {
      Instance.Forked f = (Instance.Forked) i;
      forks.delete(f);
      if (f.seed.deleted && f.seed.children.isEmpty()) {
        containers.endSeedContainer(f.seed);
      }
    }
  }

  private Instance get(String id) {
    Instance i = instances.get(id);
    if (i == null) {
      throw new ApiError(404, "instance " + id + " not found");
    }
    return i;
  }

  /** Kills everything this forkd started and removes its cgroups and run dirs. */
  @Override
  public void close() {
    outputs.close();
    remotes.close();
    containers.close();
    forks.close();

    List<Instance> all = new ArrayList<>(instances.values());
    instances.clear();
    jvms.close();
    all.removeIf(i -> i instanceof Instance.InJvm);
    for (Instance i : all) {
      InstanceStatuses.container(i).kill();
    }
    for (Instance i : all) {
      InstanceStatuses.container(i).killAndWait();
      if (i instanceof Instance.Seed s) {
        s.control.close();
        s.handle.close();
      } else if (i instanceof Instance.Forked f && f.handle != null) {
        f.handle.close();
      }
    }
    snapshots.close(); // after the seeds: their holders end with their containers anyway
    bridge.close(); // after the containers: no veth is in use any more
    readiness.close();
    try {
      Leftovers.remove(config, cgroups);
    } catch (IOException e) {
      LOG.warning("cleanup of " + config.runDir() + ": " + e);
    }
    try {
      lockFile.close();
    } catch (IOException e) {
      LOG.warning("releasing " + config.runDir().resolve("forkd.lock") + ": " + e);
    }
  }
}
