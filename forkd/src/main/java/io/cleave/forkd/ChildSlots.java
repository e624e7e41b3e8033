package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.logging.Logger;

/**
 * What a child needs besides its start (a fork, or a remote child's container and restorer), made
 * ahead in the background (see {@link MadeAhead}): its id, its cgroup (pids limit set) and its
 * staged run dir with the files the child is given. A fork child's cgroup is that of a deleted
 * child where one is kept (see {@link #recycle}). A start then renames the dir into place and
 * writes the memory and cpu limits: a few syscalls instead of a dozen while the call waits (and,
 * in a burst, beside every other start's cgroup creations).
 */
final class ChildSlots {
  /** One prepared slot. */
  record Slot(String id, SlotCgroup slotCgroup, Path stagedDir) {
    Cgroup cgroup() {
      return slotCgroup.cgroup;
    }
  }

  /** A kept cgroup still charged this long after its child is removed. */
  private static final long SETTLE_NANOS = 10_000_000_000L;
  private static final Logger LOG = Logger.getLogger("forkd.slots");

  /** Fills a fresh run dir. */
  @FunctionalInterface
  interface RunDirFiller {
    void fill(Path dir) throws IOException;
  }

  private final CgroupLayout cgroups;
  private final Path staging;
  private final int pidsMax;
  private final String idKind;
  /**
   * {@code i-}: named after its instance, which it serves alone; {@code slot-}: one that serves
   * child after child (named after its first), see {@link #recycle}.
   */
  private final String cgroupPrefix;
  private final RunDirFiller filler;
  /**
   * Cgroups of deleted fork children kept for new slots at most (CLEAVE_FORKD_KEPT_SLOT_CGROUPS):
   * about 30 KB of kernel memory each (three cgroups), against three mkdirs per slot and three
   * rmdirs per child. As many as a node's forks alive at once come back in steady churn.
   */
  private final int keepAtMost;
  /** Cgroups of deleted children, the oldest first. */
  private final Deque<SlotCgroup> kept = new ArrayDeque<>();
  private boolean closed;

  /** Fork children's slots ({@code f} ids), staged where their run dirs go. */
  static ChildSlots forForks(CgroupLayout cgroups, Path staging, int pidsMax, int keepAtMost) {
    return new ChildSlots(cgroups, staging, pidsMax, "f", "slot-", keepAtMost, ChildSlots::makeForkRunDir);
  }

  /** Remote children's slots ({@code r} ids), with the restorer's empty stats file. */
  static ChildSlots forRemoteChildren(CgroupLayout cgroups, Path staging, int pidsMax) {
    return new ChildSlots(cgroups, staging, pidsMax, "r", "i-", 0, dir -> {
      RunDirs.make(dir);
      Path stats = dir.resolve(RemoteChildren.STATS);
      Files.write(stats, new byte[0], StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      RunDirs.chmod(stats, 0600);
    });
  }

  private ChildSlots(CgroupLayout cgroups, Path staging, int pidsMax, String idKind, String cgroupPrefix,
      int keepAtMost, RunDirFiller filler) {
    this.cgroupPrefix = cgroupPrefix;
    this.keepAtMost = keepAtMost;
    this.cgroups = cgroups;
    this.staging = staging;
    this.pidsMax = pidsMax;
    this.idKind = idKind;
    this.filler = filler;
  }

  Slot make() throws IOException {
    String id = Instance.newId(idKind);
    Path dir = staging.resolve(id);
    SlotCgroup cgroup = takeKept();
    boolean made = cgroup == null;
    try {
      filler.fill(dir);
      if (made) {
        cgroup = new SlotCgroup(cgroups.create(cgroupPrefix + id));
        cgroups.limitPids(cgroup.cgroup, pidsMax);
      }
      return new Slot(id, cgroup, dir);
    } catch (IOException | RuntimeException e) {
      if (cgroup != null) {
        remove(cgroup);
      }
      RunDirs.deleteTree(dir);
      throw e;
    }
  }

  /**
   * A kept cgroup made clean, or null. The oldest first: one whose child's seed has not reaped it
   * yet is not clean yet and goes to the back (two tries per take at most); one still not clean
   * {@link #SETTLE_NANOS} after it was kept is removed.
   */
  private SlotCgroup takeKept() {
    for (int tries = 0; tries < 2; tries++) {
      SlotCgroup c;
      synchronized (this) {
        c = kept.pollFirst();
      }
      if (c == null) {
        return null;
      }
      if (cgroups.resetForReuse(c)) {
        return c;
      }
      if (System.nanoTime() - c.keptAt > SETTLE_NANOS) {
        LOG.info("cgroup " + c.cgroup.name() + " not reused: still charged " + SETTLE_NANOS / 1_000_000_000
            + " s after its child");
        remove(c);
      } else {
        synchronized (this) {
          if (!closed) {
            kept.addLast(c);
            continue;
          }
        }
        remove(c);
      }
    }
    return null;
  }

  /**
   * Keeps a deleted child's cgroup for a later slot if it may serve one and fewer than
   * {@link #keepAtMost} are kept, else removes it (killing what is left in it).
   */
  void recycle(SlotCgroup cgroup) {
    if (cgroups.reusable(cgroup.cgroup)) {
      synchronized (this) {
        if (kept.size() < keepAtMost && !closed) {
          cgroup.keptAt = System.nanoTime();
          kept.addLast(cgroup);
          return;
        }
      }
    }
    remove(cgroup);
  }

  void remove(SlotCgroup cgroup) {
    cgroup.close();
    cgroups.remove(cgroup.cgroup);
  }

  /** A fork child's run dir with its output file. */
  static void makeForkRunDir(Path dir) throws IOException {
    RunDirs.make(dir);
    Path output = Files.createFile(dir.resolve("output"));
    // The seed opens it for the child, as the seed's uid, before it forks (Forks closes it to
    // everyone once the seed answered); the sticky run dir keeps it from being replaced.
    Files.setPosixFilePermissions(output, EnumSet.of(PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE, PosixFilePermission.OTHERS_WRITE));
  }

  void discard(Slot s) {
    remove(s.slotCgroup());
    RunDirs.deleteTree(s.stagedDir());
  }

  /** Removes the kept cgroups; later ones are removed, not kept. */
  void close() {
    List<SlotCgroup> left;
    synchronized (this) {
      closed = true;
      left = List.copyOf(kept);
      kept.clear();
    }
    left.forEach(this::remove);
  }
}
