package io.cleave.cli.cluster;

import picocli.CommandLine.Command;

/** {@code cleave cluster up|status|kill-node|down}: a cluster of several nodes on this one machine. */
@Command(
    name = "cluster",
    description = "Run a cluster of several nodes on this machine, each in its own network namespace"
        + " (README: Cluster, Several nodes on one machine).",
    subcommands = {ClusterUp.class, ClusterStatus.class, ClusterKillNode.class, ClusterDown.class})
public final class ClusterCommand {
  ClusterCommand() {}
}
