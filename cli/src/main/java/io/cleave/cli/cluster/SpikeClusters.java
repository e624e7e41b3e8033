package io.cleave.cli.cluster;

import io.cleave.bench.SpikeBenchCommand;
import io.cleave.bench.replay.PolicyNodes;
import io.cleave.client.CliFailure;
import io.cleave.invoker.InvokerSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code cleave bench spike --nodes N}'s clusters: per policy a fresh N-node cluster in
 * {@code <out>/<policy>/cluster}, brought up as {@code cleave cluster up} does it, every node's
 * server on that policy, and taken down after the policy's replay (and on Ctrl-C).
 *
 * <p>The nodes share this machine's memory: each gets {@code 1/N} of what one standalone server
 * takes by default ({@code --node-memory}, unless a {@code --server-arg} sets it), so the cluster
 * as a whole may hold what the single-node spike's server may, and keep-alive's instances on N
 * nodes cannot ask for N times the machine's memory.
 */
public final class SpikeClusters implements SpikeBenchCommand.Clusters {
  /** As long as {@code cleave cluster up} waits by default. */
  private static final int UP_TIMEOUT_S = 180;

  @Override
  public void requireRoot() {
    refuseUnlessRoot(Privileges.effectiveUid());
  }

  /** The check of {@link #requireRoot} for a given user id. */
  static void refuseUnlessRoot(long uid) {
    if (uid != 0) {
      throw new CliFailure("cleave bench spike --nodes needs root: it runs a cluster in network namespaces (see cleave cluster up);"
          + " run it as root, e.g. sudo ./cleave bench spike --nodes 3 --quick, or drop --nodes for the single-node spike");
    }
  }

  @Override
  public PolicyNodes.Starter starter(int nodes, List<String> serverArgs, PrintStream progress) {
    return (policy, dir) -> start(nodes, policy, dir, nodeServerArgs(policy, nodes, serverArgs), progress);
  }

  /** Every node's extra server arguments: the policy, its share of the memory, then the user's. */
  static List<String> nodeServerArgs(String policy, int nodes, List<String> serverArgs) {
    List<String> args = new ArrayList<>(List.of("--policy", policy));
    if (serverArgs.stream().noneMatch(a -> a.startsWith("--node-memory"))) {
      args.addAll(List.of("--node-memory", InvokerSettings.defaultCapacityMb() / nodes + "m"));
    }
    args.addAll(serverArgs);
    return args;
  }

  private static PolicyNodes start(int nodes, String policy, Path dir, List<String> args, PrintStream progress) throws IOException {
    Files.createDirectories(dir);
    BenchCluster cluster = BenchCluster.prepare(ClusterLayout.of(dir.resolve("cluster")));
    Thread onCtrlC = new Thread(cluster::down, "bench-spike-cluster-teardown");
    Runtime.getRuntime().addShutdownHook(onCtrlC);
    progress.printf("[%s] bringing up %d nodes in %s (server arguments: %s)%n", policy, nodes, cluster.layout().dir(),
        String.join(" ", args));
    try {
      LocalCluster up = cluster.up(nodes, args, UP_TIMEOUT_S, progress);
      progress.printf("[%s] cluster %s up: %s%n", policy, up.name(), String.join(", ", up.apiUrls()));
      return new ClusterNodes(policy, up.apiUrls().stream().map(URI::create).toList(), up.adminKey(), cluster, onCtrlC,
          progress);
    } catch (IOException | RuntimeException e) {
      new ClusterNodes(policy, List.of(), null, cluster, onCtrlC, progress).close();
      throw e;
    }
  }

  /** One policy's running cluster; closing takes it down and drops the shutdown hook that would have. */
  private record ClusterNodes(String policy, List<URI> urls, String adminKey, BenchCluster cluster, Thread onCtrlC,
      PrintStream progress) implements PolicyNodes {
    @Override
    public void close() {
      progress.printf("[%s] taking the cluster down (logs stay in %s/node*/)%n", policy, cluster.layout().dir());
      cluster.down();
      try {
        Runtime.getRuntime().removeShutdownHook(onCtrlC);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run: nothing left to remove
      }
    }
  }
}
