package io.cleave.forkd;

import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.RemoteRef;
import java.io.IOException;
import java.nio.file.Files;

/**
 * An instance's status as forkd reports it: running or how it exited (code, signal, an OOM kill,
 * a remote child's or JVM instance's reason), its memory (cgroup usage and PSS), its log's size,
 * and a seed's remote handle with the restores served from it.
 */
final class InstanceStatuses {
  private final CgroupLayout cgroups;
  private final SeedSnapshots snapshots;
  private final Forks forks;

  InstanceStatuses(CgroupLayout cgroups, SeedSnapshots snapshots, Forks forks) {
    this.cgroups = cgroups;
    this.snapshots = snapshots;
    this.forks = forks;
  }

  /** What is known of instance {@code id} now (GET /v1/instances/{id}). */
  InstanceStatus of(String id, Instance i) {
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
    RemoteRef remote = i instanceof Instance.Seed s && !s.deleted ? s.remote : null;
    long restores = running && remote != null ? snapshots.restores(remote) : 0;
    String reason = i instanceof Instance.Remote ? RemoteChildren.exitReason(wait, i.output())
        : i instanceof Instance.InJvm v ? JvmSeeds.exitReason(v.jvm.container.mainExit(), v.jvm.runDir.resolve("output"))
        : null;
    return new InstanceStatus(id, running ? "running" : "exited", code, signal, cgroups.oomKilled(i.cgroup()),
        cgroups.memoryBytes(i.cgroup()), running ? pssBytes(i) : 0, logBytes, remote, reason, restores);
  }

  /** A remote child's memory is mostly its restored process's, the restorer's only child. */
  private static long pssBytes(Instance i) {
    long pss = ProcFs.pssBytes(i.pid());
    if (i instanceof Instance.Remote) {
      for (long child : ProcFs.children(i.pid())) {
        pss += ProcFs.pssBytes(child);
      }
    }
    return pss;
  }

  private boolean running(Instance i) {
    if (i instanceof Instance.Cold || i instanceof Instance.Remote) {
      Container c = container(i);
      return c.mainExit() == null && c.alive();
    }
    if (i instanceof Instance.Seed s) {
      return !s.deleted && s.handle.alive();
    }
    if (i instanceof Instance.InJvm v) {
      return !v.stopped && v.jvm.alive();
    }
    return forks.running((Instance.Forked) i);
  }

  private Integer exitStatus(Instance i) {
    if (i instanceof Instance.Cold || i instanceof Instance.Remote) {
      return container(i).mainExit();
    }
    if (i instanceof Instance.Seed s) {
      return s.container.mainExit();
    }
    if (i instanceof Instance.InJvm v) {
      return v.jvm.container.mainExit();
    }
    return forks.exitStatus((Instance.Forked) i);
  }

  /** The container an instance runs in (a fork child: its seed's). */
  static Container container(Instance i) {
    if (i instanceof Instance.Cold c) {
      return c.container;
    }
    if (i instanceof Instance.Remote r) {
      return r.container;
    }
    if (i instanceof Instance.Seed s) {
      return s.container;
    }
    if (i instanceof Instance.InJvm v) {
      return v.jvm.container;
    }
    return ((Instance.Forked) i).seed.container;
  }
}
