package io.cleave.cli.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * The host side of a local cluster, made with iproute2: one bridge holding the host's address on
 * the cluster's /24, and per node a network namespace joined to the bridge by a veth pair. Nodes
 * get no default route: their traffic never leaves the bridge.
 */
final class ClusterNetwork {
  private final ClusterLayout layout;

  ClusterNetwork(ClusterLayout layout) {
    this.layout = layout;
  }

  /** The text {@link Subnet#choose} reads: every address and route the host has. */
  static String hostNetworks() {
    return HostCommand.check("reading the host's addresses", List.of("ip", "-4", "-o", "addr", "show"))
        + HostCommand.check("reading the host's routes", List.of("ip", "-4", "route", "show", "table", "all"));
  }

  void createBridge(Subnet subnet) {
    String br = layout.bridge();
    HostCommand.check("creating bridge " + br, List.of("ip", "link", "add", br, "type", "bridge"));
    HostCommand.check("giving the host " + subnet.hostAddress() + " on " + br,
        List.of("ip", "addr", "add", subnet.hostAddress() + "/24", "dev", br));
    HostCommand.check("bringing up bridge " + br, List.of("ip", "link", "set", br, "up"));
  }

  /** Namespace of node k, its veth pair on the bridge, its address, and loopback up. */
  void createNode(int k, Subnet subnet) {
    String ns = layout.namespace(k);
    String veth = layout.hostVeth(k);
    String address = subnet.nodeAddress(k) + "/24";
    HostCommand.check("creating network namespace " + ns, List.of("ip", "netns", "add", ns));
    HostCommand.check("creating veth " + veth + " into " + ns,
        List.of("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns));
    HostCommand.check("attaching " + veth + " to bridge " + layout.bridge(),
        List.of("ip", "link", "set", veth, "master", layout.bridge(), "up"));
    HostCommand.check("giving " + ns + " the address " + address,
        List.of("ip", "-n", ns, "addr", "add", address, "dev", "eth0"));
    HostCommand.check("bringing up eth0 in " + ns, List.of("ip", "-n", ns, "link", "set", "eth0", "up"));
    HostCommand.check("bringing up lo in " + ns, List.of("ip", "-n", ns, "link", "set", "lo", "up"));
  }

  /** This cluster's namespaces present on the host, as node numbers, whatever cluster.json says. */
  List<Integer> namespaces() {
    List<Integer> out = new ArrayList<>();
    for (String line : HostCommand.check("listing network namespaces", List.of("ip", "netns", "list")).split("\n")) {
      String name = line.strip().split("\\s+")[0];
      layout.nodeOfNamespace(name).ifPresent(out::add);
    }
    return out;
  }

  /** Names of the host's network interfaces. */
  static List<String> links() {
    List<String> out = new ArrayList<>();
    for (String line : HostCommand.check("listing network interfaces", List.of("ip", "-o", "link", "show")).split("\n")) {
      String[] parts = line.split(":\\s+", 3);
      if (parts.length >= 2) {
        String name = parts[1];
        int at = name.indexOf('@');
        out.add(at < 0 ? name : name.substring(0, at));
      }
    }
    return out;
  }

  boolean bridgeExists() {
    return links().contains(layout.bridge());
  }

  /** This cluster's host-side veths still present (a namespace's removal normally takes its pair along). */
  List<String> veths() {
    return links().stream().filter(l -> layout.nodeOfVeth(l).isPresent()).toList();
  }

  /** Deletes node k's namespace (its mount under /run/netns and its veth pair go with it). */
  void deleteNamespace(int k) {
    HostCommand.check("removing network namespace " + layout.namespace(k), List.of("ip", "netns", "delete", layout.namespace(k)));
  }

  void deleteLink(String name) {
    HostCommand.check("removing interface " + name, List.of("ip", "link", "delete", name));
  }
}
