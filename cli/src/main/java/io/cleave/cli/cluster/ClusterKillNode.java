package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cleave cluster kill-node N}: a crash drill, every process of one node SIGKILLed at once. */
@Command(name = "kill-node", description = {
    "SIGKILL every process of node N, as a crash would (needs root).",
    "Server, forkd and instances: everything in its namespace. Its namespace, address, data and forkd's"
        + " cgroups stay, as after a real crash; cleave cluster down removes them."})
public final class ClusterKillNode extends UserCommand {
  @Mixin ClusterDirOption dirOption;

  @Parameters(paramLabel = "N", description = "The node's number (node1 is 1)")
  int node;

  @Override
  protected int execute() {
    if (node < 1) {
      throw new UsageFailure("N must be a node number from 1, got " + node);
    }
    ClusterLayout layout = dirOption.layout();
    ClusterState state = ClusterState.read(layout).orElseThrow(() -> new CliFailure(
        "no cluster in " + layout.dir() + " (" + layout.stateFile() + " is missing)"));
    if (node > state.nodes().size()) {
      throw new CliFailure("no node " + node + " in " + layout.dir() + ": the cluster has nodes 1-" + state.nodes().size());
    }
    Privileges.requireRoot("kill-node");
    boolean namespaceExists = new ClusterNetwork(layout).namespaces().contains(node);
    int killed = new NodeProcesses(layout, node).killAll(namespaceExists, 15_000);
    String name = ClusterLayout.nodeName(node);
    System.out.println(killed == 0 ? name + ": no process was running"
        : name + ": killed " + killed + " process" + (killed == 1 ? "" : "es") + " (SIGKILL)");
    return 0;
  }
}
