package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What a remote child needs besides its container and its restorer, made ahead in the background
 * (see {@link MadeAhead}), as {@link ForkSlots} does for fork children: its id, its cgroup (pids
 * limit set) and its run dir with the restorer's empty stats file, staged on the data dir's file
 * system. A remote fork then renames the dir into place, writes the child's order, gives the two
 * files to the handle's uid and sets the memory and cpu limits, instead of making all of it while
 * the call waits (and, in a burst, beside every other start's cgroup creations).
 */
final class RemoteSlots {
  /** One prepared slot. */
  record Slot(String id, Cgroup cgroup, Path stagedDir) {}

  private final CgroupLayout cgroups;
  private final Path staging;
  private final int pidsMax;

  RemoteSlots(CgroupLayout cgroups, Path staging, int pidsMax) {
    this.cgroups = cgroups;
    this.staging = staging;
    this.pidsMax = pidsMax;
  }

  Slot make() throws IOException {
    String id = Instance.newId("r");
    Path dir = staging.resolve(id);
    Cgroup cgroup = null;
    try {
      RunDirs.make(dir);
      Path stats = dir.resolve(RemoteChildren.STATS);
      Files.write(stats, new byte[0], StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      RunDirs.chmod(stats, 0600);
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

  void discard(Slot s) {
    cgroups.remove(s.cgroup());
    RunDirs.deleteTree(s.stagedDir());
  }
}
