package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;

/**
 * A cluster a benchmark brings up in a directory of its own output and always takes down again:
 * at the run's end, when something fails, and on Ctrl-C (the caller's shutdown hook calls
 * {@link #down}, which also finds a cluster still coming up, as {@code cluster down} does). Every
 * run starts from empty nodes (a registry left from an earlier run would be loaded again); after
 * it only each node's {@code server.log} and {@code forkd.log} stay in {@code DIR/nodeK}.
 */
final class BenchCluster {
  private static final long GRACE_MS = 10_000;

  private final ClusterLayout layout;
  private boolean starting;
  private boolean stopped;

  private BenchCluster(ClusterLayout layout) {
    this.layout = layout;
  }

  /**
   * Refuses a directory where a cluster exists and removes an earlier run's node data; starts
   * nothing, so a benchmark calls it before its other steps and fails early.
   */
  static BenchCluster prepare(ClusterLayout layout) throws IOException {
    LocalCluster.refuseExisting(layout);
    ClusterBenchFiles.removeNodeData(layout);
    return new BenchCluster(layout);
  }

  ClusterLayout layout() {
    return layout;
  }

  /** Starts the nodes, each {@code cleave server} given {@code serverArgs} too; refused once {@link #down} ran. */
  LocalCluster up(int nodes, List<String> serverArgs, int timeoutSeconds, PrintStream progress) throws IOException {
    synchronized (this) {
      if (stopped) {
        throw new CliFailure("interrupted");
      }
      starting = true;
    }
    return LocalCluster.up(layout, nodes, serverArgs, timeoutSeconds, progress);
  }

  /** Takes the cluster down, once (the run's end, a failure and Ctrl-C may all call it); never throws. */
  synchronized void down() {
    if (stopped) {
      return;
    }
    stopped = true;
    if (!starting) {
      return;
    }
    try {
      LocalCluster.down(layout, GRACE_MS, System.err);
      ClusterBenchFiles.keepLogsDropData(layout);
    } catch (CliFailure | IOException e) {
      System.err.println("cleave: taking the cluster down failed: " + e.getMessage()
          + " (run: cleave cluster down --dir " + layout.dir() + ")");
    }
  }
}
