package io.cleave.cli.cluster;

import io.cleave.client.TextTable;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cleave cluster up --nodes N}: N nodes, each in its own network namespace on one bridge. */
@Command(name = "up", description = {
    "Start N nodes on this machine, each in its own network namespace (needs root).",
    "The namespaces share a private bridge on a 10.X.Y.0/24 where the host is .1, so every node's API is"
        + " reachable from the host. Waits until every node lists all N members.",
    "Writes DIR/cluster.json (name, namespace, address, api_url, pid per node); each node keeps its data"
        + " in DIR/nodeK/data and logs to DIR/nodeK/server.log."})
public final class ClusterUp extends UserCommand {
  static final int MAX_NODES = 32;

  @Mixin ClusterDirOption dirOption;

  @Option(names = "--nodes", paramLabel = "N", required = true, description = "How many nodes, 1-" + MAX_NODES)
  int nodes;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "180",
      description = "Give up (and take everything down again) when the cluster is not up by then (default: ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Override
  protected int execute() throws IOException {
    if (nodes < 1 || nodes > MAX_NODES) {
      throw new UsageFailure("--nodes must be between 1 and " + MAX_NODES + ", got " + nodes);
    }
    if (timeoutSeconds < 1) {
      throw new UsageFailure("--timeout must be at least 1 second, got " + timeoutSeconds);
    }
    ClusterLayout layout = dirOption.layout();
    ClusterState state = LocalCluster.start(layout, nodes, List.of(), timeoutSeconds, System.err);
    TextTable table = new TextTable("NODE", "API URL", "PID", "NAMESPACE");
    for (ClusterState.Node n : state.nodes()) {
      table.row(n.name(), n.apiUrl(), Long.toString(n.pid()), n.namespace());
    }
    table.print(System.out);
    System.out.println("cluster " + state.name() + " is up; described in " + layout.stateFile());
    System.out.println("use a node: CLEAVE_KEY_FILE=" + layout.adminKeyFile() + " cleave list apps --api-url "
        + state.node(1).apiUrl());
    System.out.println("stop it:    cleave cluster down --dir " + layout.dir());
    return 0;
  }

  static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }
}
