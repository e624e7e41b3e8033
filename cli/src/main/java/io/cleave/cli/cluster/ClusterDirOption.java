package io.cleave.cli.cluster;

import io.cleave.client.UsageFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --dir DIR}, the same for every {@code cluster} subcommand: where the cluster lives. */
public final class ClusterDirOption {
  @Option(names = "--dir", paramLabel = "DIR", defaultValue = "./.cleave-cluster",
      description = "The cluster's directory: cluster.json, each node's data and log (default: ${DEFAULT-VALUE})")
  Path dir;

  ClusterLayout layout() {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new UsageFailure("--dir " + dir + " is not a directory");
    }
    return ClusterLayout.of(dir);
  }
}
