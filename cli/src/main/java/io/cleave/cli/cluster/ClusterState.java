package io.cleave.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.client.CliFailure;
import io.cleave.client.JsonText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * DIR/cluster.json: what {@code up} made, written before it makes anything and again as each node
 * starts, so that {@code status}, {@code kill-node} and {@code down} find a partial cluster too.
 * A pid of 0 means the node's server was not started.
 */
public record ClusterState(String name, String subnet, String bridge, String hostAddress, List<Node> nodes) {

  public record Node(String name, String namespace, String address, String apiUrl, long pid, String dataDir, String log) {
    Node withPid(long newPid) {
      return new Node(name, namespace, address, apiUrl, newPid, dataDir, log);
    }
  }

  /** The plan for N nodes in this layout on this subnet, nothing started yet. */
  static ClusterState planned(ClusterLayout layout, Subnet subnet, int count) {
    List<Node> nodes = new ArrayList<>();
    for (int k = 1; k <= count; k++) {
      String address = subnet.nodeAddress(k);
      nodes.add(new Node(ClusterLayout.nodeName(k), layout.namespace(k), address,
          "http://" + address + ":" + ClusterLayout.API_PORT, 0, layout.dataDir(k).toString(), layout.serverLog(k).toString()));
    }
    return new ClusterState(layout.clusterName(), subnet.cidr(), layout.bridge(), subnet.hostAddress(), List.copyOf(nodes));
  }

  ClusterState withPid(int k, long pid) {
    List<Node> changed = new ArrayList<>(nodes);
    changed.set(k - 1, nodes.get(k - 1).withPid(pid));
    return new ClusterState(name, subnet, bridge, hostAddress, List.copyOf(changed));
  }

  /** Node k (1-based). */
  Node node(int k) {
    return nodes.get(k - 1);
  }

  /** The members every node is told to join. */
  String members() {
    return String.join(",", nodes.stream().map(n -> n.address() + ":" + ClusterLayout.HAZELCAST_PORT).toList());
  }

  static Optional<ClusterState> read(ClusterLayout layout) {
    Path file = layout.stateFile();
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      JsonNode root = JsonText.parse(Files.readString(file));
      List<Node> nodes = new ArrayList<>();
      for (JsonNode n : root.path("nodes")) {
        nodes.add(new Node(n.path("name").asText(), n.path("namespace").asText(), n.path("address").asText(),
            n.path("api_url").asText(), n.path("pid").asLong(0), n.path("data_dir").asText(), n.path("log").asText()));
      }
      if (!root.hasNonNull("name") || !root.hasNonNull("subnet") || nodes.isEmpty()) {
        throw new CliFailure(file + " is not a cluster description (no name, subnet or nodes)");
      }
      return Optional.of(new ClusterState(root.path("name").asText(), root.path("subnet").asText(),
          root.path("bridge").asText(), root.path("host_address").asText(), List.copyOf(nodes)));
    } catch (IOException e) {
      throw new CliFailure("cannot read " + file + ": " + e.getMessage());
    }
  }

  /** Replaces the file in one step: a reader never sees half of it. */
  void write(ClusterLayout layout) {
    Path file = layout.stateFile();
    Path partial = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.writeString(partial, JsonText.pretty(toJson()) + "\n");
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new CliFailure("cannot write " + file + ": " + e.getMessage());
    }
  }

  ObjectNode toJson() {
    ObjectNode root = JsonText.object();
    root.put("name", name).put("subnet", subnet).put("bridge", bridge).put("host_address", hostAddress);
    ArrayNode list = root.putArray("nodes");
    for (Node n : nodes) {
      list.add(nodeJson(n));
    }
    return root;
  }

  static ObjectNode nodeJson(Node n) {
    ObjectNode o = JsonText.object();
    o.put("name", n.name()).put("namespace", n.namespace()).put("address", n.address()).put("api_url", n.apiUrl())
        .put("pid", n.pid()).put("data_dir", n.dataDir()).put("log", n.log());
    return o;
  }
}
