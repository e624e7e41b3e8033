package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The cluster benchmark's own cluster directory ({@code <out>/cluster}): every run starts from
 * empty nodes (a registry left from an earlier run would be loaded again), and after the run only
 * the nodes' logs stay ({@code nodeK/server.log}, {@code nodeK/forkd.log}), not their data.
 */
final class ClusterBenchFiles {
  private ClusterBenchFiles() {}

  /** Removes the node directories of an earlier run; only when no cluster runs there (checked first by the caller). */
  static void removeNodeData(ClusterLayout layout) throws IOException {
    refuseMounts(layout);
    for (Path node : nodeDirs(layout)) {
      deleteTree(node);
    }
  }

  /** After the cluster is down: each node's forkd log next to its server log, its data directory removed. */
  static void keepLogsDropData(ClusterLayout layout) throws IOException {
    refuseMounts(layout);
    for (Path node : nodeDirs(layout)) {
      Path data = node.resolve("data");
      Path forkdLog = data.resolve("forkd.log");
      if (Files.isRegularFile(forkdLog)) {
        Files.copy(forkdLog, node.resolve("forkd.log"), StandardCopyOption.REPLACE_EXISTING);
      }
      deleteTree(data);
    }
  }

  /** A mount left under the directory means something still runs there: delete nothing then. */
  private static void refuseMounts(ClusterLayout layout) {
    List<String> mounts = ClusterTeardown.mountsUnder(layout.dir() + "/");
    if (!mounts.isEmpty()) {
      throw new CliFailure("something is still mounted under " + layout.dir() + " (" + mounts.get(0)
          + "); run cleave cluster down --dir " + layout.dir());
    }
  }

  private static List<Path> nodeDirs(ClusterLayout layout) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(layout.dir())) {
      return out;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(layout.dir(), Files::isDirectory)) {
      for (Path d : dirs) {
        if (ClusterLayout.nodeOfDir(d.getFileName().toString()).isPresent()) {
          out.add(d);
        }
      }
    }
    return out;
  }

  /** Deletes a tree without following links out of it. */
  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
