package io.cleave.forkd;

import io.cleave.common.error.ApiError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The way out for instances of outbound functions: a bridge holding the gateway address of the
 * outbound subnet ({@code CLEAVE_FORKD_OUTBOUND_SUBNET}), one veth per outbound container (its end
 * inside is {@code eth0}, given an address and a default route via the gateway by the container's
 * helper) and an nftables table that
 * <ul>
 *   <li>drops everything that comes from the bridge to the node itself, on any of its addresses
 *       (the node API, Hazelcast, the page server, anything else listening);
 *   <li>drops what the node would forward from the bridge back to the bridge (instance to instance
 *       through the gateway), IPv6, and traffic to the denied networks: the node's directly connected
 *       networks (its LAN, a local cluster's bridge), link-local 169.254.0.0/16 (cloud metadata) and
 *       {@code CLEAVE_FORKD_OUTBOUND_DENY};
 *   <li>lets nothing open a connection towards an instance;
 *   <li>masquerades what leaves behind the address of the interface it leaves by.
 * </ul>
 * Bridge ports are isolated, so instances do not reach one another on the bridge either. The
 * bridge, the table and the veths are named after forkd's data dir, like its cgroups: forkds on
 * one machine keep apart, and a successor on the same data dir removes what a crashed one left.
 * Instances have no capability: they cannot change their address, open raw sockets or touch the rules.
 */
final class NodeBridge implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.bridge");
  /** The veth's name inside the container. */
  static final String PEER = "eth0";
  private static final Ipv4Net LINK_LOCAL = Ipv4Net.parse("169.254.0.0/16");
  /** glibc reads at most three. */
  private static final int MAX_NAMESERVERS = 3;

  private final String bridge;
  private final String table;
  private final String vethPrefix;
  private final Ipv4Net subnet;
  private final int gateway;
  private final BitSet used = new BitSet();
  private final AtomicLong veths = new AtomicLong();
  private long cursor;
  private List<String> nameservers = List.of();
  /** Why outbound functions cannot start on this node; null while they can. */
  private String unavailable;

  /** An outbound container's veth: its host-side name and the container's address. */
  record Link(String hostVeth, int address) {}

  private NodeBridge(String tag, Ipv4Net subnet) {
    // Interface names hold 15 characters; "cleave-br" keeps clear of `cleave cluster up`'s "cleave-<8 hex>".
    this.bridge = "cleave-br" + tag.substring(0, 6);
    this.vethPrefix = "cv" + tag.substring(0, 6);
    this.table = "cleave_" + tag;
    this.subnet = subnet;
    this.gateway = subnet.at(1);
    this.cursor = 2;
  }

  /**
   * Removes a predecessor's bridge and rules, then makes this forkd's. A node where that fails
   * (no nft, the subnet taken) runs without outbound access: outbound starts are refused with
   * the reason, every other start works.
   */
  static NodeBridge open(String tag, Ipv4Net subnet, List<Ipv4Net> deny) {
    NodeBridge b = new NodeBridge(tag, subnet);
    try {
      b.remove();
      b.create(deny);
      LOG.info("outbound bridge " + b.bridge + " on " + subnet + ", nameservers " + b.nameservers);
    } catch (IOException | RuntimeException e) {
      b.unavailable = e.getMessage() + " (outbound needs iproute2 and nftables; CLEAVE_FORKD_OUTBOUND_SUBNET="
          + subnet + ")";
      LOG.warning("no outbound network on this node: " + b.unavailable);
      b.removeQuietly();
    }
    return b;
  }

  /** No bridge on this node, for {@code why}: outbound starts are refused with it. */
  static NodeBridge off(String tag, Ipv4Net subnet, String why) {
    NodeBridge b = new NodeBridge(tag, subnet);
    b.unavailable = why;
    LOG.warning("no outbound network on this node: " + why);
    return b;
  }

  /** Refuses an outbound start on a node without the bridge. */
  void require() {
    if (unavailable != null) {
      throw new ApiError(503, "outbound network is unavailable on this node: " + unavailable);
    }
  }

  private void create(List<Ipv4Net> configuredDeny) throws IOException {
    for (Route r : routes()) {
      if (r.net.prefix() > 0 && r.net.overlaps(subnet)) {
        throw new IOException("the outbound subnet overlaps the node's route to " + r.net + " on " + r.device
            + " (choose another with CLEAVE_FORKD_OUTBOUND_SUBNET)");
      }
    }
    List<Ipv4Net> deny = new ArrayList<>(configuredDeny);
    deny.add(LINK_LOCAL);
    for (Route r : routes()) {
      if (r.gateway == 0 && r.net.prefix() > 0 && !r.device.equals("lo")) {
        deny.add(r.net);
      }
    }
    nameservers = reachableNameservers(deny);
    HostCommand.check("creating bridge " + bridge, List.of("ip", "link", "add", bridge, "type", "bridge"));
    // The node keeps no IPv6 address on the bridge: nothing there for an instance to reach.
    Path v6 = Path.of("/proc/sys/net/ipv6/conf", bridge, "disable_ipv6");
    if (Files.exists(v6)) {
      Files.writeString(v6, "1");
    }
    HostCommand.check("giving bridge " + bridge + " the gateway address",
        List.of("ip", "addr", "add", Ipv4Net.format(gateway) + "/" + subnet.prefix(), "dev", bridge));
    HostCommand.check("bringing up bridge " + bridge, List.of("ip", "link", "set", bridge, "up"));
    HostCommand.check("installing the outbound rules (nft table inet " + table + ")", List.of("nft", "-f", "-"),
        ruleset(Ipv4Net.outermost(deny)));
    Path forward = Path.of("/proc/sys/net/ipv4/ip_forward");
    if (!Files.readString(forward).trim().equals("1")) {
      // Left on at stop: another forkd of this machine may rely on it.
      Files.writeString(forward, "1");
      LOG.info("turned on IPv4 forwarding (net.ipv4.ip_forward) for outbound instances");
    }
  }

  /** Built from forkd's own names and parsed networks only: nothing of a request reaches it. */
  private String ruleset(List<Ipv4Net> deny) {
    String br = '"' + bridge + '"';
    StringBuilder denied = new StringBuilder();
    for (Ipv4Net n : deny) {
      denied.append(denied.length() == 0 ? "" : ", ").append(n);
    }
    return "table inet " + table + " {\n"
        + "  chain input {\n"
        + "    type filter hook input priority filter - 10; policy accept;\n"
        + "    iifname " + br + " drop\n"
        + "  }\n"
        + "  chain forward {\n"
        + "    type filter hook forward priority filter - 10; policy accept;\n"
        + "    iifname " + br + " oifname " + br + " drop\n"
        + "    iifname " + br + " meta nfproto != ipv4 drop\n"
        + "    iifname " + br + " ip daddr { " + denied + " } drop\n"
        + "    oifname " + br + " ct state established,related accept\n"
        + "    oifname " + br + " drop\n"
        + "  }\n"
        + "  chain postrouting {\n"
        + "    type nat hook postrouting priority srcnat; policy accept;\n"
        + "    ip saddr " + subnet + " oifname != " + br + " masquerade\n"
        + "  }\n"
        + "}\n";
  }

  /**
   * The node's IPv4 nameservers an instance may use: outside the node and the denied networks (a
   * resolver on the node itself, such as 127.0.0.53, is out of reach by design).
   */
  private List<String> reachableNameservers(List<Ipv4Net> deny) throws IOException {
    Path resolv = Path.of("/etc/resolv.conf");
    if (!Files.isReadable(resolv)) {
      return List.of();
    }
    List<Integer> local = localAddresses();
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(resolv)) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 2 && f[0].equals("nameserver") && Ipv4Net.isAddress(f[1]) && out.size() < MAX_NAMESERVERS) {
        int a = Ipv4Net.parseAddress(f[1]);
        boolean inside = (a >>> 24) == 127 || subnet.contains(a) || local.contains(a)
            || deny.stream().anyMatch(n -> n.contains(a));
        if (!inside) {
          out.add(f[1]);
        }
      }
    }
    return out;
  }

  /** The node's own IPv4 addresses (the kernel's local routes). */
  private static List<Integer> localAddresses() throws IOException {
    List<Integer> out = new ArrayList<>();
    String last = null;
    for (String line : Files.readAllLines(Path.of("/proc/net/fib_trie"))) {
      String t = line.trim();
      if (t.startsWith("|-- ")) {
        last = t.substring(4);
      } else if (t.equals("/32 host LOCAL") && last != null && Ipv4Net.isAddress(last)) {
        out.add(Ipv4Net.parseAddress(last));
      }
    }
    return out;
  }

  private record Route(String device, Ipv4Net net, int gateway) {}

  /** The main routing table of forkd's network namespace, but for this bridge's own route. */
  private List<Route> routes() throws IOException {
    List<Route> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(Path.of("/proc/net/route"));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 8 && !f[0].equals(bridge)) {
        // Written as the little-endian int of the address bytes.
        int dst = Integer.reverseBytes(Integer.parseUnsignedInt(f[1], 16));
        int gw = Integer.reverseBytes(Integer.parseUnsignedInt(f[2], 16));
        int mask = Integer.reverseBytes(Integer.parseUnsignedInt(f[7], 16));
        out.add(new Route(f[0], new Ipv4Net(dst & mask, Integer.bitCount(mask)), gw));
      }
    }
    return out;
  }

  /**
   * Gives the container whose init is {@code initPid} (not started yet) a veth on the bridge; its
   * end inside is configured by the helper from {@link #orderEntries}.
   */
  Link attach(long initPid) throws IOException {
    require();
    int address = allocate();
    String veth = vethPrefix + String.format("%07x", veths.getAndIncrement() & 0xfffffff);
    boolean attached = false;
    try {
      HostCommand.check("creating veth " + veth + " into container " + initPid, List.of("ip", "link", "add", veth,
          "master", bridge, "type", "veth", "peer", "name", PEER, "netns", Long.toString(initPid)));
      HostCommand.check("isolating and bringing up " + veth,
          List.of("ip", "link", "set", "dev", veth, "up", "type", "bridge_slave", "isolated", "on"));
      attached = true;
      return new Link(veth, address);
    } finally {
      if (!attached) {
        deleteLink(veth);
        release(address);
      }
    }
  }

  /** What the container's helper needs to bring {@code eth0} up (docs: forkd/native/src/order.h). */
  Map<String, String> orderEntries(Link link) {
    return Map.of("address", Ipv4Net.format(link.address()) + "/" + subnet.prefix(), "gateway",
        Ipv4Net.format(gateway));
  }

  /** Nameservers for the container's /etc/resolv.conf (none: no DNS). */
  List<String> nameservers() {
    return nameservers;
  }

  /** Removes the veth of a container that has ended (its namespace may have taken it already) and frees the address. */
  void detach(Link link) {
    deleteLink(link.hostVeth());
    release(link.address());
  }

  /** Round the subnet, so a freed address comes back last (conntrack entries of its last user age out first). */
  private synchronized int allocate() {
    long hosts = subnet.size() - 3; // not the network, the gateway (.1) nor the broadcast address
    for (long i = 0; i < hosts; i++) {
      long offset = cursor;
      cursor = cursor + 1 > subnet.size() - 2 ? 2 : cursor + 1;
      if (!used.get((int) offset)) {
        used.set((int) offset);
        return subnet.at(offset);
      }
    }
    throw new ApiError(503, "no free address for another outbound instance in " + subnet
        + " (CLEAVE_FORKD_OUTBOUND_SUBNET)", 1);
  }

  private synchronized void release(int address) {
    used.clear(address - subnet.network());
  }

  private void deleteLink(String name) {
    try {
      HostCommand.Result r = HostCommand.run(List.of("ip", "link", "del", name), null);
      if (r.exit() != 0 && !r.stderr().contains("Cannot find device")) {
        LOG.warning("removing veth " + name + ": " + r.stderr());
      }
    } catch (IOException e) {
      LOG.warning("removing veth " + name + ": " + e.getMessage());
    }
  }

  /** Removes the rules, every veth still on the bridge, and the bridge (what is absent is skipped). */
  private void remove() throws IOException {
    HostCommand.Result table = HostCommand.run(List.of("nft", "delete", "table", "inet", this.table), null);
    if (table.exit() != 0 && !table.stderr().contains("No such file or directory")) {
      throw new IOException("removing nft table inet " + this.table + ": " + table.stderr());
    }
    HostCommand.Result ports = HostCommand.run(List.of("ip", "-o", "link", "show", "master", bridge), null);
    if (ports.exit() == 0) {
      for (String line : ports.stdout().split("\n")) {
        String[] f = line.split(":\\s+", 3);
        if (f.length >= 2) {
          deleteLink(f[1].split("@")[0]);
        }
      }
    } else if (!ports.stderr().contains("does not exist")) {
      throw new IOException("listing the veths of bridge " + bridge + ": " + ports.stderr());
    }
    HostCommand.Result br = HostCommand.run(List.of("ip", "link", "del", bridge), null);
    if (br.exit() != 0 && !br.stderr().contains("Cannot find device")) {
      throw new IOException("removing bridge " + bridge + ": " + br.stderr());
    }
  }

  private void removeQuietly() {
    try {
      remove();
    } catch (IOException | RuntimeException e) {
      LOG.warning("removing the outbound bridge " + bridge + " and table " + table + ": " + e.getMessage());
    }
  }

  /** Removes the bridge, the rules and any veth left (call once the containers are gone). */
  @Override
  public void close() {
    removeQuietly();
  }
}
