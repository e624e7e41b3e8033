package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.logging.Logger;

/**
 * What a fork child needs besides the fork itself, made ahead in the background: its id, its
 * cgroup (pids limit set) and its run dir (with the output file), staged on the data dir's file
 * system. A fork order then only renames the dir under its seed's children dir and writes the
 * memory and cpu limits: a few syscalls instead of a dozen on the fork's critical path.
 */
final class ForkSlots implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.slots");

  /** One prepared slot. */
  record Slot(String id, Cgroup cgroup, Path stagedDir) {}

  private final CgroupLayout cgroups;
  private final Path staging;
  private final int pidsMax;
  private final int target;
  private final Deque<Slot> ready = new ArrayDeque<>();
  private final Thread refill;
  private boolean closed;

  ForkSlots(CgroupLayout cgroups, Path staging, int pidsMax, int target) {
    this.cgroups = cgroups;
    this.staging = staging;
    this.pidsMax = pidsMax;
    this.target = target;
    this.refill = new Thread(this::refill, "forkd-fork-slots");
    refill.setDaemon(true);
    refill.start();
  }

  /** A prepared slot, or one made now if none is ready. */
  Slot take() throws IOException {
    synchronized (this) {
      Slot s = ready.pollFirst();
      notifyAll();
      if (s != null) {
        return s;
      }
    }
    return make();
  }

  private Slot make() throws IOException {
    String id = Instance.newId("f");
    Path dir = staging.resolve(id);
    Cgroup cgroup = null;
    try {
      RunDirs.make(dir);
      Path output = Files.createFile(dir.resolve("output"));
      // The child opens it itself, as the seed's uid; the sticky run dir keeps it from replacing it.
      Files.setPosixFilePermissions(output, EnumSet.of(PosixFilePermission.OWNER_READ,
          PosixFilePermission.OWNER_WRITE, PosixFilePermission.OTHERS_WRITE));
      cgroup = cgroups.create("i-" + id);
      cgroups.limitPids(cgroup, pidsMax);
      return new Slot(id, cgroup, dir);
    } catch (IOException | RuntimeException e) {
      if (cgroup != null) {
        cgroups.remove(cgroup);
      }
      RunDirs.deleteTree(dir);
      throw e;
    }
  }

  private void refill() {
    while (true) {
      synchronized (this) {
        while (!closed && ready.size() >= target) {
          try {
            wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
      }
      try {
        Slot s = make();
        synchronized (this) {
          if (closed) {
            discard(s);
            return;
          }
          ready.addLast(s);
        }
      } catch (IOException | RuntimeException e) {
        LOG.warning("cannot prepare a fork slot (retrying in 1 s): " + e);
        synchronized (this) {
          try {
            wait(1000);
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }
  }

  private void discard(Slot s) {
    cgroups.remove(s.cgroup());
    RunDirs.deleteTree(s.stagedDir());
  }

  @Override
  public void close() {
    Deque<Slot> unused;
    synchronized (this) {
      closed = true;
      unused = new ArrayDeque<>(ready);
      ready.clear();
      notifyAll();
    }
    refill.interrupt();
    try {
      refill.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    unused.forEach(this::discard);
  }
}
