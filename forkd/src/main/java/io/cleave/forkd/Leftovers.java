package io.cleave.forkd;

import io.cleave.forkd.api.OrderWire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * What a forkd leaves on its data dir and in the cgroup tree: processes in its cgroups, the
 * cgroups, run dirs, its sockets. A forkd records its cgroup parents in {@code run/forkd-cgroups},
 * so a successor on the same data dir finds them even after a crash, and removes them all on
 * close.
 */
final class Leftovers {
  private static final Logger LOG = Logger.getLogger("forkd");

  private Leftovers() {}

  /** Removes what a predecessor that died without cleaning up left, then records this forkd's cgroups. */
  static void takeOver(ForkdConfig config, CgroupLayout cgroups) throws IOException {
    List<Path> parents = new ArrayList<>(cgroups.parents());
    for (Path recorded : recorded(config)) {
      if (!parents.contains(recorded)) {
        parents.add(recorded);
      }
    }
    for (Path parent : parents) {
      if (Files.isDirectory(parent)) {
        LOG.info("removing leftover cgroups under " + parent);
        CgroupLayout.removeTree(parent);
      }
    }
    removeRunDirs(config);
    Files.deleteIfExists(config.socket());
    Files.deleteIfExists(OrderWire.socketNextTo(config.socket()));
    Files.writeString(record(config),
        String.join("\n", cgroups.parents().stream().map(Path::toString).toList()) + "\n");
  }

  /** Removes this forkd's own cgroups (killing what runs there), run dirs, socket and record. */
  static void remove(ForkdConfig config, CgroupLayout cgroups) throws IOException {
    for (Path parent : cgroups.parents()) {
      CgroupLayout.removeTree(parent);
    }
    removeRunDirs(config);
    if (config.childrenTmpfs() != null) {
      Files.deleteIfExists(config.childrenTmpfs());
    }
    Files.deleteIfExists(config.socket());
    Files.deleteIfExists(OrderWire.socketNextTo(config.socket()));
    Files.deleteIfExists(record(config));
  }

  private static void removeRunDirs(ForkdConfig config) {
    RunDirs.deleteChildren(config.instancesDir());
    RunDirs.deleteChildren(config.forksDir());
    RunDirs.deleteChildren(config.slotsDir());
    RunDirs.deleteChildren(config.remoteSlotsDir());
    RunDirs.deleteChildren(config.pagecacheDir());
    if (config.childrenTmpfs() != null) {
      RunDirs.deleteChildren(config.childrenTmpfs());
    }
  }

  private static Path record(ForkdConfig config) {
    return config.runDir().resolve("forkd-cgroups");
  }

  private static List<Path> recorded(ForkdConfig config) throws IOException {
    List<Path> out = new ArrayList<>();
    if (Files.exists(record(config))) {
      for (String line : Files.readAllLines(record(config))) {
        if (!line.isBlank()) {
          out.add(Path.of(line.trim()));
        }
      }
    }
    return out;
  }
}
