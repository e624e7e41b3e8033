package io.cleave.forkd;

import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.model.FnNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Outbound functions (cleave.io/network: outbound) against a node and an "internet" made of
 * network namespaces ({@link NodeWithInternet}), forkd running on the node: an outbound instance
 * reaches the internet host and nothing of the node (any of its addresses), its LAN or another
 * instance; a loopback-only one reaches nothing; nothing of the bridge is left behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ForkdOutboundTest {
  private static final String GATEWAY = "10.213.0.1";
  private static final Map<String, String> KNOBS = Map.of(
      "CLEAVE_FORKD_UID_BASE", Integer.toString(ForkdProcess.UID_BASE + 40_000));

  @RegisterExtension
  final TestWatcher showLog = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      System.err.println("forkd log after " + context.getDisplayName() + " failed:\n" + ForkdProcess.log(forkd.dataDir));
    }
  };
  Path tmp;
  NodeWithInternet net;
  ForkdProcess forkd;
  Path bundle;

  @BeforeAll
  void startForkdOnTheNode() throws Exception {
    ForkdProcess.buildHelper();
    ForkdProcess.make("kmod");
    tmp = Files.createTempDirectory("forkd-outbound");
    bundle = ForkdProcess.bundle(tmp.resolve("bundle"), "/outbound/outbound.py", "outbound.py");
    net = NodeWithInternet.make();
    forkd = ForkdProcess.start(tmp.resolve("data"), KNOBS, NodeWithInternet.enter(net.node, List.of()));
  }

  @AfterAll
  void stopForkd() throws Exception {
    try {
      forkd.close();
    } finally {
      net.close();
      RunDirs.deleteTree(tmp);
    }
  }

  private StartRequest cold(FnNetwork network) {
    return StartRequest.cold("fn-" + network.wireName(), "app1", bundle.toString(), 64,
        ForkdProcess.command("outbound.py"), ForkdProcess.env(Map.of())).withNetwork(network);
  }

  private StartedInstance start(StartRequest r) throws Exception {
    return forkd.await(forkd.client.start(r));
  }

  private String probe(StartedInstance s, String body) throws Exception {
    return forkd.call(s.listener(), body).getString("answer");
  }

  private String connect(StartedInstance s, String host, int port) throws Exception {
    return probe(s, "connect:" + host + ":" + port);
  }

  @Test
  @Order(1)
  void anOutboundFunctionReachesTheInternetAndALoopbackOneDoesNot() throws Exception {
    StartedInstance out = start(cold(FnNetwork.OUTBOUND));
    StartedInstance none = start(cold(FnNetwork.NONE));
    assertEquals("got internet", connect(out, NodeWithInternet.INTERNET_IP, NodeWithInternet.PORT));
    assertTrue(probe(out, "address").startsWith("got 10.213.0."), probe(out, "address"));
    String denied = connect(none, NodeWithInternet.INTERNET_IP, NodeWithInternet.PORT);
    assertTrue(denied.startsWith("denied: Network is unreachable"), denied);
    assertTrue(probe(none, "resolv").startsWith("denied: No such file"), "a loopback-only instance has no resolver");
    assertEquals("got " + expectedResolvConf(), probe(out, "resolv"));
    forkd.await(forkd.client.delete(out.instanceId()));
    forkd.await(forkd.client.delete(none.instanceId()));
  }

  /** The host's IPv4 nameservers that are not on the node (loopback), as the node bridge picks them. */
  private static String expectedResolvConf() throws Exception {
    StringBuilder out = new StringBuilder();
    int n = 0;
    for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 2 && f[0].equals("nameserver") && f[1].matches("\\d+\\.\\d+\\.\\d+\\.\\d+")
          && !f[1].startsWith("127.") && !f[1].startsWith("169.254.") && n++ < 3) {
        out.append("nameserver ").append(f[1]).append('\n');
      }
    }
    return out.toString();
  }

  @Test
  @Order(2)
  void aSeedsChildrenAndRemoteChildrenAreOutboundToo() throws Exception {
    StartedInstance seed = start(StartRequest.preparedSeed("fn-outbound", "app1", bundle.toString(), 64,
        ForkdProcess.command("outbound.py"), ForkdProcess.env(Map.of())).withNetwork(FnNetwork.OUTBOUND));
    assertNotNull(seed.remote(), "a prepared seed answers its snapshot");
    StartedInstance child = start(StartRequest.fork(seed.instanceId(), "fn-outbound", "app1", 64, Map.of()));
    assertEquals("got internet", connect(child, NodeWithInternet.INTERNET_IP, NodeWithInternet.PORT));
    StartedInstance remote = start(StartRequest.remoteFork(seed.remote(), "fn-outbound", "app1", bundle.toString(),
        64, Map.of()).withNetwork(FnNetwork.OUTBOUND));
    assertEquals("got internet", connect(remote, NodeWithInternet.INTERNET_IP, NodeWithInternet.PORT));
    assertFalse(probe(remote, "address").equals(probe(child, "address")), "a remote child has a veth of its own");
    StartedInstance loopbackRemote = start(StartRequest.remoteFork(seed.remote(), "fn-outbound", "app1",
        bundle.toString(), 64, Map.of()));
    String denied = connect(loopbackRemote, NodeWithInternet.INTERNET_IP, NodeWithInternet.PORT);
    assertTrue(denied.startsWith("denied: Network is unreachable"), denied);
    for (StartedInstance s : List.of(loopbackRemote, remote, child, seed)) {
      forkd.await(forkd.client.delete(s.instanceId()));
    }
  }

  @Test
  @Order(3)
  void anOutboundFunctionReachesNothingOfTheNodeNorItsLan() throws Exception {
    StartedInstance out = start(cold(FnNetwork.OUTBOUND));
    // The node's server answers on every node address; the neighbour's on the LAN address too.
    for (String host : List.of(GATEWAY, NodeWithInternet.NODE_IP, "127.0.0.1", NodeWithInternet.NEIGHBOUR_IP)) {
      String got = connect(out, host, NodeWithInternet.PORT);
      assertTrue(got.startsWith("denied: "), host + ":" + NodeWithInternet.PORT + " reached from an outbound instance: "
          + got);
    }
    assertEquals("got internet", connect(out, NodeWithInternet.INTERNET_IP, NodeWithInternet.PORT));
    forkd.await(forkd.client.delete(out.instanceId()));
  }

  @Test
  @Order(4)
  void outboundInstancesDoNotReachEachOther() throws Exception {
    StartedInstance a = start(cold(FnNetwork.OUTBOUND));
    StartedInstance b = start(cold(FnNetwork.OUTBOUND));
    assertEquals("got 9090", probe(a, "listen:9090"));
    String addressOfA = probe(a, "address").substring("got ".length());
    assertEquals("got instance", connect(a, addressOfA, 9090), "a listens on its bridge address");
    String got = connect(b, addressOfA, 9090);
    assertTrue(got.startsWith("denied: "), "another outbound instance reached from an outbound instance: " + got);
    forkd.await(forkd.client.delete(a.instanceId()));
    forkd.await(forkd.client.delete(b.instanceId()));
  }

  @Test
  @Order(5)
  void startCostOfOutbound() throws Exception {
    List<Double> outbound = new ArrayList<>();
    List<Double> loopback = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      for (FnNetwork network : FnNetwork.values()) {
        StartedInstance s = start(cold(network));
        (network == FnNetwork.OUTBOUND ? outbound : loopback).add(s.startMs());
        forkd.await(forkd.client.delete(s.instanceId()));
      }
    }
    System.out.println("cold start ms, loopback only " + median(loopback) + " " + loopback + ", outbound "
        + median(outbound) + " " + outbound + ", ratio " + Math.round(100 * median(outbound) / median(loopback)) / 100.0);
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[sorted.length / 2];
  }

  @Test
  @Order(6)
  void nothingOfTheBridgeIsLeftAfterDeletionStopOrCrash() throws Exception {
    StartedInstance out = start(cold(FnNetwork.OUTBOUND));
    assertEquals(1, instanceVeths().size(), "the outbound instance's veth: " + instanceVeths());
    forkd.await(forkd.client.delete(out.instanceId()));
    assertEquals(List.of(), instanceVeths(), "veths left after the instance was deleted");
    assertEquals(1, bridges().size(), "the node bridge while forkd runs");

    forkd.stop();
    assertNothingLeft("after forkd stopped");

    forkd = ForkdProcess.start(tmp.resolve("data"), KNOBS, NodeWithInternet.enter(net.node, List.of()));
    start(cold(FnNetwork.OUTBOUND));
    forkd.crash();
    assertEquals(1, bridges().size(), "a crashed forkd leaves its bridge");
    forkd = ForkdProcess.start(tmp.resolve("data"), KNOBS, NodeWithInternet.enter(net.node, List.of()));
    assertEquals(List.of(), instanceVeths(), "a crashed forkd's veths after its successor started");
    StartedInstance again = start(cold(FnNetwork.OUTBOUND));
    assertEquals("got internet", connect(again, NodeWithInternet.INTERNET_IP, NodeWithInternet.PORT));
    forkd.stop();
    assertNothingLeft("after the successor stopped");
  }

  private void assertNothingLeft(String when) throws Exception {
    assertEquals(List.of(), instanceVeths(), "veths " + when);
    assertEquals(List.of(), bridges(), "bridges " + when);
    assertEquals("", net.onNode("nft", "list", "ruleset").trim(), "nft rules " + when);
  }

  /** The node's veths but the node's own LAN. */
  private List<String> instanceVeths() throws Exception {
    return links("veth").stream().filter(l -> !l.startsWith("cobn")).toList();
  }

  private List<String> bridges() throws Exception {
    return links("bridge");
  }

  private List<String> links(String type) throws Exception {
    return Arrays.stream(net.onNode("ip", "-o", "link", "show", "type", type).split("\n"))
        .filter(l -> !l.isBlank())
        .map(l -> l.split(":\\s+", 3)[1].split("@")[0])
        .toList();
  }
}
