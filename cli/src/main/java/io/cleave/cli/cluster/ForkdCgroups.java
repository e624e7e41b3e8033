package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;

/**
 * The cgroup directories one node's forkd made, as it records them in {@code <data>/run/forkd-cgroups}
 * (docs/CONTRACTS.md). A forkd that stops cleanly removes them and the record; after SIGKILL both
 * stay, and {@link #remove()} does what forkd's own next start would have done.
 */
final class ForkdCgroups {
  private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
  private static final long RMDIR_WAIT_NANOS = 10_000_000_000L;

  private final Path record;

  ForkdCgroups(Path dataDir) {
    this.record = dataDir.resolve("run").resolve("forkd-cgroups");
  }

  /**
   * The recorded directories that exist. Only forkd's own ({@code /sys/fs/cgroup/.../cleave-*}) are
   * taken: a damaged record must never make {@code down} remove someone else's cgroup.
   */
  List<Path> dirs() {
    if (!Files.exists(record)) {
      return List.of();
    }
    List<Path> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(record)) {
        if (line.isBlank()) {
          continue;
        }
        Path dir = Path.of(line.strip()).normalize();
        if (dir.startsWith(CGROUP_ROOT) && dir.getFileName().toString().startsWith("cleave-") && Files.isDirectory(dir)) {
          out.add(dir);
        }
      }
    } catch (IOException e) {
      throw new CliFailure("cannot read forkd's cgroup record " + record + ": " + e.getMessage());
    }
    return out;
  }

  /** Processes in any of the directories or below. */
  Set<Long> pids() {
    Set<Long> out = new TreeSet<>();
    for (Path dir : dirs()) {
      for (Path d : tree(dir)) {
        try {
          for (String line : Files.readAllLines(d.resolve("cgroup.procs"))) {
            if (!line.isBlank()) {
              out.add(Long.parseLong(line.strip()));
            }
          }
        } catch (NoSuchFileException gone) {
          // removed meanwhile
        } catch (IOException e) {
          throw new CliFailure("cannot read " + d.resolve("cgroup.procs") + ": " + e.getMessage());
        }
      }
    }
    return out;
  }

  /**
   * Removes the directories, deepest first, then the record; the node's processes must be gone
   * (a cgroup with tasks cannot be removed). Returns the directories removed at the top level.
   */
  List<Path> remove() {
    List<Path> removed = new ArrayList<>();
    for (Path dir : dirs()) {
      List<Path> all = tree(dir);
      for (int i = all.size() - 1; i >= 0; i--) {
        rmdir(all.get(i));
      }
      removed.add(dir);
    }
    try {
      if (Files.exists(record)) {
        Files.delete(record);
      }
    } catch (IOException e) {
      throw new CliFailure("cannot remove " + record + ": " + e.getMessage());
    }
    return removed;
  }

  /** The directory and every cgroup below it, parents before children. */
  private static List<Path> tree(Path dir) {
    List<Path> out = new ArrayList<>();
    out.add(dir);
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path child : children) {
        out.addAll(tree(child));
      }
    } catch (NoSuchFileException gone) {
      return List.of();
    } catch (IOException e) {
      throw new CliFailure("cannot list cgroup " + dir + ": " + e.getMessage());
    }
    return out;
  }

  /** A cgroup whose last task just died stays busy for a moment: retry, bounded. */
  private static void rmdir(Path dir) {
    long deadline = System.nanoTime() + RMDIR_WAIT_NANOS;
    while (true) {
      try {
        Files.delete(dir);
        return;
      } catch (NoSuchFileException gone) {
        return;
      } catch (IOException busy) {
        if (System.nanoTime() > deadline) {
          String tasks;
          try {
            tasks = Files.readString(dir.resolve("cgroup.procs")).replace('\n', ' ').strip();
          } catch (IOException e) {
            tasks = "unreadable";
          }
          throw new CliFailure("cannot remove cgroup " + dir + ": " + busy.getMessage()
              + (tasks.isEmpty() ? "" : " (tasks still in it: " + tasks + ")"));
        }
        LockSupport.parkNanos(20_000_000);
      }
    }
  }
}
