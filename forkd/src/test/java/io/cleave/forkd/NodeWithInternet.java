package io.cleave.forkd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A "node" and the "internet" on one machine, as network namespaces named after this JVM: the
 * node's LAN is a veth pair (node 198.18.0.1/30, its neighbour 198.18.0.2/30), the internet host
 * 203.0.113.10 sits behind that neighbour, the node's default route. Each side runs a TCP server on
 * {@link #PORT} of all its addresses that says which side it is ("node", "internet").
 */
final class NodeWithInternet implements AutoCloseable {
  static final String NODE_IP = "198.18.0.1";
  static final String NEIGHBOUR_IP = "198.18.0.2";
  static final String INTERNET_IP = "203.0.113.10";
  static final int PORT = 8080;
  private static final String SERVER = String.join("\n",
      "import socket, sys",
      "s = socket.socket()",
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
      "s.bind(('0.0.0.0', int(sys.argv[1])))",
      "s.listen(16)",
      "print('listening', flush=True)",
      "while True:",
      "    c, _ = s.accept()",
      "    c.sendall(sys.argv[2].encode())",
      "    c.close()");

  final String node;
  final String internet;
  private final List<Process> servers = new ArrayList<>();

  private NodeWithInternet(String node, String internet) {
    this.node = node;
    this.internet = internet;
  }

  static NodeWithInternet make() throws Exception {
    long pid = ProcessHandle.current().pid();
    NodeWithInternet n = new NodeWithInternet("cleave-obn-" + pid, "cleave-obi-" + pid);
    String vn = "cobn" + pid;
    String vi = "cobi" + pid;
    n.close();
    run("ip", "netns", "add", n.node);
    run("ip", "netns", "add", n.internet);
    run("ip", "link", "add", vn, "netns", n.node, "type", "veth", "peer", "name", vi, "netns", n.internet);
    run("ip", "-n", n.node, "addr", "add", NODE_IP + "/30", "dev", vn);
    run("ip", "-n", n.internet, "addr", "add", NEIGHBOUR_IP + "/30", "dev", vi);
    run("ip", "-n", n.internet, "addr", "add", INTERNET_IP + "/32", "dev", "lo");
    for (String[] up : new String[][] {{n.node, vn}, {n.internet, vi}, {n.node, "lo"}, {n.internet, "lo"}}) {
      run("ip", "-n", up[0], "link", "set", up[1], "up");
    }
    run("ip", "-n", n.node, "route", "add", "default", "via", NEIGHBOUR_IP);
    n.serve(n.node, "node");
    n.serve(n.internet, "internet");
    return n;
  }

  private void serve(String ns, String says) throws IOException {
    Process p = new ProcessBuilder(enter(ns, List.of("/usr/bin/python3", "-c", SERVER, Integer.toString(PORT), says)))
        .redirectErrorStream(true).start();
    servers.add(p);
    String first = new String(p.getInputStream().readNBytes("listening".length()), StandardCharsets.UTF_8);
    assertEquals("listening", first, "the " + says + " server did not start");
  }

  /** {@code argv} run in network namespace {@code ns} (nsenter switches the network namespace only). */
  static List<String> enter(String ns, List<String> argv) {
    List<String> out = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + ns, "--"));
    out.addAll(argv);
    return out;
  }

  /** What {@code argv} prints, run in the node's network namespace. */
  String onNode(String... argv) throws IOException, InterruptedException {
    return run(enter(node, List.of(argv)).toArray(String[]::new));
  }

  static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    return out;
  }

  /** Stops the servers and deletes both namespaces (the veth pair goes with them); quiet when absent. */
  @Override
  public void close() throws Exception {
    for (Process p : servers) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    for (String ns : List.of(node, internet)) {
      Process p = new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
