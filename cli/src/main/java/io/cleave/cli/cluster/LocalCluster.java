package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import io.cleave.common.access.KeyFile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;

/**
 * A local cluster as a program uses it (what {@code cleave cluster up} and {@code down} do, from
 * Java): {@link #up} makes the network and starts the nodes, taking everything down again when
 * that fails; {@link #down} removes a cluster found from the host, also one still coming up.
 */
public final class LocalCluster {
  private final ClusterLayout layout;
  private final ClusterState state;

  private LocalCluster(ClusterLayout layout, ClusterState state) {
    this.layout = layout;
    this.state = state;
  }

  /**
   * Starts {@code nodes} nodes in {@code layout}'s directory, each {@code cleave server} given
   * {@code serverArgs} too, or fails (as a {@link CliFailure}) with everything it made removed
   * again. Needs root; refuses a directory where a cluster exists.
   */
  public static LocalCluster up(ClusterLayout layout, int nodes, List<String> serverArgs, int timeoutSeconds, PrintStream progress)
      throws IOException {
    ClusterState state = start(layout, nodes, serverArgs, timeoutSeconds, progress);
    // The directory exists now: its real path names the cluster, as it did for start.
    return new LocalCluster(ClusterLayout.of(layout.dir()), state);
  }

  /**
   * What {@code cleave cluster down} does: servers get {@code graceMs} after SIGTERM, then everything
   * of the cluster in {@code layout}'s directory is removed (data and logs stay); answers whether
   * anything was found. Fails (as a {@link CliFailure}) when something is still left.
   */
  public static boolean down(ClusterLayout layout, long graceMs, PrintStream progress) {
    return new ClusterTeardown(layout, progress).run(graceMs);
  }

  /** The steps of {@code cleave cluster up}, after its checks of the command line; answers the running cluster. */
  static ClusterState start(ClusterLayout layout, int nodes, List<String> serverArgs, int timeoutSeconds, PrintStream progress)
      throws IOException {
    Privileges.requireRoot("up");
    requireTools();
    NodeLauncher launcher = NodeLauncher.forThisCheckout(serverArgs);
    refuseExisting(layout);

    Files.createDirectories(layout.dir());
    layout = ClusterLayout.of(layout.dir());
    Subnet subnet = Subnet.choose(layout.tag(), ClusterNetwork.hostNetworks());
    ClusterState state = ClusterState.planned(layout, subnet, nodes);
    state.write(layout);
    KeyFile.write(layout.adminKeyFile(), launcher.adminKey());
    say(progress, "cluster " + state.name() + ": " + nodes + " node" + (nodes == 1 ? "" : "s") + " on " + subnet.cidr()
        + ", bridge " + state.bridge() + " (host " + subnet.hostAddress() + "), in " + layout.dir());
    try {
      ClusterNetwork network = new ClusterNetwork(layout);
      network.createBridge(subnet);
      for (int k = 1; k <= nodes; k++) {
        network.createNode(k, subnet);
      }
      return new ClusterStart(layout, state, launcher, timeoutSeconds, progress).run();
    } catch (IOException | RuntimeException e) {
      say(progress, "up failed: " + (e instanceof CliFailure || e instanceof IOException ? e.getMessage() : "unexpected error: " + e));
      say(progress, "taking down what it started");
      try {
        new ClusterTeardown(layout, progress).run(5_000);
      } catch (CliFailure again) {
        throw new CliFailure("taking the failed cluster down failed too: " + again.getMessage()
            + " (run: cleave cluster down --dir " + layout.dir() + ")");
      }
      throw new CliFailure("cluster up failed and was taken down again; the nodes' logs stay in "
          + layout.dir() + "/node*/server.log");
    }
  }

  /** Refuses to start over anything of a cluster in DIR; changes nothing. */
  public static void refuseExisting(ClusterLayout layout) {
    ClusterNetwork network = new ClusterNetwork(layout);
    List<Integer> namespaces = network.namespaces();
    boolean described = Files.exists(layout.stateFile());
    if (described || !namespaces.isEmpty() || network.bridgeExists()) {
      throw new CliFailure("a cluster already exists in " + layout.dir() + " ("
          + (described ? layout.stateFile().getFileName() : "namespaces or bridge " + layout.bridge()) + ");"
          + " see cleave cluster status --dir " + layout.dir() + ", or remove it with cleave cluster down --dir " + layout.dir());
    }
  }

  private static void requireTools() {
    for (String tool : List.of("setsid", "nsenter")) {
      HostCommand.Result r = HostCommand.run(List.of(tool, "--version"));
      if (!r.ok()) {
        throw new CliFailure(tool + " --version failed: " + r.err().strip() + " (install util-linux)");
      }
    }
  }

  /** The nodes' API URLs, node 1 first. */
  public List<String> apiUrls() {
    return state.nodes().stream().map(ClusterState.Node::apiUrl).toList();
  }

  /** The nodes' server processes on this machine, node 1 first (0 where not started). */
  public List<Long> serverPids() {
    return state.nodes().stream().map(ClusterState.Node::pid).toList();
  }

  /** The nodes' names (as in {@code Cleave-Node} and activation records), node 1 first. */
  public List<String> nodeNames() {
    return state.nodes().stream().map(ClusterState.Node::name).toList();
  }

  public String name() {
    return state.name();
  }

  /** The admin key every node accepts. */
  public String adminKey() {
    return layout.adminKey();
  }

  public ClusterLayout layout() {
    return layout;
  }

  private static void say(PrintStream progress, String line) {
    progress.println("cleave: " + line);
    progress.flush();
  }
}
