package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The local cluster's privileged steps need root; say so before any of them is tried. */
final class Privileges {
  private Privileges() {}

  static void requireRoot(String command) {
    if (effectiveUid() != 0) {
      throw new CliFailure("cleave cluster " + command + " needs root: it manages network namespaces, a bridge and"
          + " veth pairs (CAP_NET_ADMIN, CAP_SYS_ADMIN), and each node's forkd makes cgroups and namespaces;"
          + " run it as root, e.g. sudo ./cleave cluster " + command + " ...");
    }
  }

  /** The second field of the Uid line in /proc/self/status. */
  static long effectiveUid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Long.parseLong(line.substring(4).strip().split("\\s+")[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new CliFailure("cannot tell this process's user id from /proc/self/status: " + e);
    }
    throw new CliFailure("/proc/self/status has no Uid line");
  }
}
