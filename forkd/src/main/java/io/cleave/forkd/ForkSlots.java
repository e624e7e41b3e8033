package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;

/**
 * What a fork child needs besides the fork itself, made ahead in the background (see
 * {@link MadeAhead}): its id, its cgroup (pids limit set) and its run dir (with the output file),
 * staged on the data dir's file system. A fork order then only renames the dir under its seed's
 * children dir and writes the memory and cpu limits: a few syscalls instead of a dozen on the
 * fork's critical path.
 */
final class ForkSlots {
  /** One prepared slot. */
  record Slot(String id, Cgroup cgroup, Path stagedDir) {}

  private final CgroupLayout cgroups;
  private final Path staging;
  private final int pidsMax;

  ForkSlots(CgroupLayout cgroups, Path staging, int pidsMax) {
    this.cgroups = cgroups;
    this.staging = staging;
    this.pidsMax = pidsMax;
  }

  Slot make() throws IOException {
    String id = Instance.newId("f");
    Path dir = staging.resolve(id);
    Cgroup cgroup = null;
    try {
      makeRunDir(dir);
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

  /** A child's run dir with its output file. */
  static void makeRunDir(Path dir) throws IOException {
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
