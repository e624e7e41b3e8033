package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;

/**
 * What a child needs besides its start (a fork, or a remote child's container and restorer), made
 * ahead in the background (see {@link MadeAhead}): its id, its cgroup (pids limit set) and its
 * staged run dir with the files the child is given. A start then renames the dir into place and
 * writes the memory and cpu limits: a few syscalls instead of a dozen while the call waits (and,
 * in a burst, beside every other start's cgroup creations).
 */
final class ChildSlots {
  /** One prepared slot. */
  record Slot(String id, Cgroup cgroup, Path stagedDir) {}

  /** Fills a fresh run dir. */
  @FunctionalInterface
  interface RunDirFiller {
    void fill(Path dir) throws IOException;
  }

  private final CgroupLayout cgroups;
  private final Path staging;
  private final int pidsMax;
  private final String idKind;
  private final RunDirFiller filler;

  /** Fork children's slots ({@code f} ids), staged where their run dirs go. */
  static ChildSlots forForks(CgroupLayout cgroups, Path staging, int pidsMax) {
    return new ChildSlots(cgroups, staging, pidsMax, "f", ChildSlots::makeForkRunDir);
  }

  /** Remote children's slots ({@code r} ids), with the restorer's empty stats file. */
  static ChildSlots forRemoteChildren(CgroupLayout cgroups, Path staging, int pidsMax) {
    return new ChildSlots(cgroups, staging, pidsMax, "r", dir -> {
      RunDirs.make(dir);
      Path stats = dir.resolve(RemoteChildren.STATS);
      Files.write(stats, new byte[0], StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      RunDirs.chmod(stats, 0600);
    });
  }

  private ChildSlots(CgroupLayout cgroups, Path staging, int pidsMax, String idKind, RunDirFiller filler) {
    this.cgroups = cgroups;
    this.staging = staging;
    this.pidsMax = pidsMax;
    this.idKind = idKind;
    this.filler = filler;
  }

  Slot make() throws IOException {
    String id = Instance.newId(idKind);
    Path dir = staging.resolve(id);
    Cgroup cgroup = null;
    try {
      filler.fill(dir);
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
    cgroups.remove(s.cgroup());
    RunDirs.deleteTree(s.stagedDir());
  }
}
