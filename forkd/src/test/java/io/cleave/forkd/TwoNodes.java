package io.cleave.forkd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two "nodes" on one machine, as kmod's tests make them: network namespaces joined by a veth
 * pair, named after this JVM so parallel runs do not meet. Processes enter one with
 * {@link #enter(int)} (nsenter switches the network namespace only: mounts and cgroups stay).
 */
final class TwoNodes implements AutoCloseable {
  static final String IP_A = "10.231.7.1";
  static final String IP_B = "10.231.7.2";

  private final String a;
  private final String b;

  private TwoNodes(String a, String b) {
    this.a = a;
    this.b = b;
  }

  static TwoNodes make() throws Exception {
    long pid = ProcessHandle.current().pid();
    TwoNodes nodes = new TwoNodes("cleave-rfa-" + pid, "cleave-rfb-" + pid);
    String va = "crfa" + pid;
    String vb = "crfb" + pid;
    nodes.close();
    run("ip", "netns", "add", nodes.a);
    run("ip", "netns", "add", nodes.b);
    run("ip", "link", "add", va, "type", "veth", "peer", "name", vb);
    run("ip", "link", "set", va, "netns", nodes.a);
    run("ip", "link", "set", vb, "netns", nodes.b);
    run("ip", "-n", nodes.a, "addr", "add", IP_A + "/24", "dev", va);
    run("ip", "-n", nodes.b, "addr", "add", IP_B + "/24", "dev", vb);
    for (String[] up : new String[][] {{nodes.a, va}, {nodes.b, vb}, {nodes.a, "lo"}, {nodes.b, "lo"}}) {
      run("ip", "-n", up[0], "link", "set", up[1], "up");
    }
    return nodes;
  }

  /** The command prefix that runs a program in node 0 (A) or 1 (B). */
  List<String> enter(int node) {
    return List.of("nsenter", "--net=/run/netns/" + (node == 0 ? a : b), "--");
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
  }

  /** Deletes both namespaces (the veth pair goes with them); quiet when they do not exist. */
  @Override
  public void close() throws Exception {
    for (String ns : new ArrayList<>(List.of(a, b))) {
      Process p = new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
