package io.cleave.forkd;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.FnNetwork;
import io.cleave.forkd.api.RemoteRef;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Remote children's containers (see {@link RemoteChildren}): the restorer started as the instance
 * in a lean container, either to restore at once or held before its child exists until a start
 * lets it go (cleave-restore --hold).
 */
final class RemoteLaunches {
  private final ForkdConfig config;
  private final CgroupLayout cgroups;
  private final Readiness readiness;
  private final ContainerStarts containers;

  RemoteLaunches(ForkdConfig config, CgroupLayout cgroups, Readiness readiness, ContainerStarts containers) {
    this.config = config;
    this.cgroups = cgroups;
    this.readiness = readiness;
    this.containers = containers;
  }

  /**
   * Starts a remote child in {@code cgroup} (made ahead with its pids limit, see {@link ChildSlots})
   * and {@code container} (prepared ahead with the slot; null: one from the pool): {@code command}
   * runs the restorer, which resumes the snapshot as its child; ready once that child binds its
   * listener. The caller has written its order and holds the lease; a failed start removes the
   * cgroup and the container and leaves the run dir to the caller and nothing else behind.
   */
  Instance.Remote startRemote(String id, Cgroup cgroup, Container container, StartSpec spec, Path bundle, Path runDir,
      List<String> command, RemoteRef ref, RemoteHandles.Lease lease, long t0) {
    Map<String, String> env = ContainerStarts.env(spec);
    env.put("CLEAVE_MODE", "remote-fork");
    env.put("FN_LISTENER", "unix:" + ContainerStarts.RUN + "/lsnr.sock");
    Map<String, String> extra = remoteExtra(ref, lease);
    // No file-size cap on the container: the restorer sizes the node's page cache file to the
    // seed's memory, and caps its child (the function) itself (cleave-restore --child-fsize).
    ContainerStarts.Launched l = containers.launch(id, cgroup, container, lease.uid, spec, bundle, runDir, command, env, extra, "lsnr.sock", 0,
        t0, false);
    return new Instance.Remote(id, l.pid(), l.cgroup(), runDir, l.container(), l.link(), ref, lease);
  }

  /**
   * Starts a remote child's restorer held before its child exists (cleave-restore --hold, the FIFO
   * {@code go} in the run dir): answers once it is exec'd; {@link #goRemote} lets it go. A
   * loopback-only function's alone (an outbound one's veth is attached per start). A failed start
   * removes the cgroup and the container.
   */
  ContainerStarts.Launched holdRemote(String id, Cgroup cgroup, Container container, StartSpec spec, Path bundle, Path runDir,
      List<String> command, RemoteRef ref, RemoteHandles.Lease lease) {
    if (spec.network() == FnNetwork.OUTBOUND) {
      throw new IllegalArgumentException("an outbound function's remote children are not held");
    }
    Map<String, String> env = ContainerStarts.env(spec);
    env.put("CLEAVE_MODE", "remote-fork");
    env.put("FN_LISTENER", "unix:" + ContainerStarts.RUN + "/lsnr.sock");
    return containers.launch(id, cgroup, container, lease.uid, spec, bundle, runDir, command, env, remoteExtra(ref, lease),
        "lsnr.sock", 0, System.nanoTime(), true);
  }

  /**
   * Lets a held restorer go (a byte into its FIFO {@code go}, once it waits there) and waits for
   * its child's listener; {@code limit}: the cgroup's memory and cpu limits are written first (a
   * held restorer's are those of the start it was held for). On failure the container and cgroup
   * are gone.
   */
  Instance.Remote goRemote(String id, ContainerStarts.Launched held, StartSpec spec, boolean limit, Path runDir,
      RemoteRef ref, RemoteHandles.Lease lease, long t0) {
    boolean started = false;
    try {
      if (limit) {
        cgroups.limitMemoryAndCpu(held.cgroup(), spec.memoryBytes(), spec.cpuShares(),
            spec.cpuQuotaUs(config.mbPerCpu()));
      }
      Path ready = runDir.resolve("lsnr.sock");
      try (PathWatch.Watch watch = readiness.watch(runDir)) {
        Container c = held.container();
        openTheGate(runDir.resolve(HELD_GO), c, t0);
        readiness.await(watch, ready, t0, () -> c.mainExit() == null && c.alive(),
            () -> Readiness.describeExit(c.mainExit()), runDir.resolve("output"));
      }
      RunDirs.takeOver(ready);
      started = true;
      return new Instance.Remote(id, held.pid(), held.cgroup(), runDir, held.container(), held.link(), ref, lease);
    } catch (IOException e) {
      throw new ApiError(500, "cannot start the held remote child: " + e.getMessage());
    } finally {
      if (!started) {
        containers.discard(held);
      }
    }
  }

  /** The FIFO a held restorer waits on, in its run dir. */
  static final String HELD_GO = "go";

  /** Writes the go byte once the restorer has the FIFO open (until then a non-blocking open finds no reader). */
  private void openTheGate(Path fifo, Container c, long t0) throws IOException {
    long deadline = t0 + readiness.timeoutMs() * 1_000_000L;
    while (true) {
      int fd = LibC.INSTANCE.open(fifo.toString(), LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
      if (fd >= 0) {
        try {
          ByteBuffer one = ByteBuffer.allocateDirect(1);
          one.put((byte) 'g').flip();
          if (LibC.INSTANCE.write(fd, one, 1) != 1) {
            throw new IOException(LibC.describe("write the go byte to " + fifo));
          }
          return;
        } finally {
          LibC.INSTANCE.close(fd);
        }
      }
      int errno = LibC.errno();
      if (errno != LibC.ENXIO) {
        throw new IOException(LibC.describe("open " + fifo));
      }
      if (!c.alive() || c.mainExit() != null) {
        throw new ApiError(502, "the held restorer ended before its go (" + Readiness.describeExit(c.mainExit()) + ")");
      }
      if (System.nanoTime() > deadline) {
        throw new ApiError(504, "the held restorer did not wait for its go within " + readiness.timeoutMs() + " ms");
      }
      LockSupport.parkNanos(200_000);
    }
  }

  private static Map<String, String> remoteExtra(RemoteRef ref, RemoteHandles.Lease lease) {
    Map<String, String> extra = new LinkedHashMap<>();
    extra.put("pagecache", lease.cacheDir.toString());
    extra.put("uffd", "1");
    // The container's network is loopback only: its helper connects to the page server for the restorer.
    extra.put("connect", ref.pageserver());
    return extra;
  }
}
