package io.cleave.cli.cluster;

import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cleave cluster down}: everything {@code up} made is removed; data and logs stay. */
@Command(name = "down", description = {
    "Stop the nodes and remove everything up made (needs root); data and logs stay.",
    "Every process, network namespace, veth, the bridge, forkd's cgroups and any mount of the cluster in"
        + " DIR. Safe to repeat, and after an interrupted or failed up. Each node's data and log stay in DIR/nodeK."})
public final class ClusterDown extends UserCommand {
  @Mixin ClusterDirOption dirOption;

  @Option(names = "--grace", paramLabel = "SECONDS", defaultValue = "20",
      description = "How long servers get to stop after SIGTERM before everything left is SIGKILLed (default: ${DEFAULT-VALUE})")
  int graceSeconds;

  @Override
  protected int execute() {
    if (graceSeconds < 0) {
      throw new UsageFailure("--grace must be 0 or more seconds, got " + graceSeconds);
    }
    ClusterLayout layout = dirOption.layout();
    Privileges.requireRoot("down");
    boolean found = new ClusterTeardown(layout, System.err).run(graceSeconds * 1000L);
    System.out.println(found
        ? "cluster " + layout.clusterName() + " in " + layout.dir() + " is down; data and logs stay in " + layout.dir()
        : "no cluster in " + layout.dir() + ": nothing to remove");
    return 0;
  }
}
