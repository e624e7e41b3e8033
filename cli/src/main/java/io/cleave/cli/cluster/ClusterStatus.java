package io.cleave.cli.cluster;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.client.CliFailure;
import io.cleave.client.JsonText;
import io.cleave.client.TextTable;
import io.cleave.client.UserCommand;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cleave cluster status}: each node's process and what its API says. */
@Command(name = "status", description = {
    "Show each node: API URL, pid, up or down, members, instances, seeds, memory.",
    "MEMBERS, INSTANCES, SEEDS and MEMORY are what the node's /cleave/v1/cluster and /metrics answer."
        + " -o json prints one JSON array of the nodes."})
public final class ClusterStatus extends UserCommand {
  public enum Format { table, json }

  @Mixin ClusterDirOption dirOption;

  @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "table",
      description = "Output format: table or json (default: ${DEFAULT-VALUE})")
  Format format;

  /** One node as status sees it; members, load are empty when its API did not answer. */
  record NodeStatus(ClusterState.Node node, String state, Optional<Integer> members, Optional<NodeProbe.Load> load) {}

  @Override
  protected int execute() {
    ClusterLayout layout = dirOption.layout();
    ClusterState cluster = ClusterState.read(layout).orElseThrow(() -> new CliFailure(
        "no cluster in " + layout.dir() + " (" + layout.stateFile() + " is missing); start one with"
            + " cleave cluster up --nodes N --dir " + layout.dir()));
    // Without the bridge the nodes' addresses would route to the default gateway: never ask them then.
    boolean bridge = new ClusterNetwork(layout).bridgeExists();
    NodeProbe probe = new NodeProbe(layout.adminKey());
    ArrayNode json = io.cleave.common.json.Json.MAPPER.createArrayNode();
    TextTable table = new TextTable("NODE", "API URL", "PID", "STATE", "MEMBERS", "INSTANCES", "SEEDS", "MEMORY");
    for (int k = 1; k <= cluster.nodes().size(); k++) {
      NodeStatus s = status(layout, cluster, k, bridge, probe);
      ClusterState.Node n = s.node();
      table.row(n.name(), n.apiUrl(), n.pid() > 0 ? Long.toString(n.pid()) : "-", s.state(),
          s.members().map(String::valueOf).orElse("-"),
          s.load().map(l -> Long.toString(l.instances())).orElse("-"),
          s.load().map(l -> Long.toString(l.seeds())).orElse("-"),
          s.load().map(l -> bytes(l.memoryBytes())).orElse("-"));
      json.add(json(s));
    }
    if (format == Format.json) {
      System.out.println(JsonText.pretty(json));
    } else {
      table.print(System.out);
      if (!bridge) {
        System.out.println("bridge " + cluster.bridge() + " is missing: the cluster is not fully up"
            + " (cleave cluster down --dir " + layout.dir() + " cleans up)");
      }
    }
    return 0;
  }

  private static NodeStatus status(ClusterLayout layout, ClusterState cluster, int k, boolean bridge, NodeProbe probe) {
    ClusterState.Node n = cluster.node(k);
    if (!new NodeProcesses(layout, k).isServer(n.pid())) {
      return new NodeStatus(n, "down", Optional.empty(), Optional.empty());
    }
    if (!bridge) {
      return new NodeStatus(n, "unreachable", Optional.empty(), Optional.empty());
    }
    Optional<Integer> members = probe.membership(n.apiUrl()).map(m -> m.memberApiUrls().size());
    Optional<NodeProbe.Load> load = probe.load(n.apiUrl());
    return new NodeStatus(n, members.isPresent() ? "up" : "no answer", members, load);
  }

  private static ObjectNode json(NodeStatus s) {
    ObjectNode o = ClusterState.nodeJson(s.node());
    o.put("state", s.state());
    if (s.members().isPresent()) {
      o.put("members", s.members().get());
    } else {
      o.putNull("members");
    }
    if (s.load().isPresent()) {
      o.put("instances", s.load().get().instances()).put("seeds", s.load().get().seeds())
          .put("memory_bytes", s.load().get().memoryBytes());
    } else {
      o.putNull("instances").putNull("seeds").putNull("memory_bytes");
    }
    return o;
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
  }
}
