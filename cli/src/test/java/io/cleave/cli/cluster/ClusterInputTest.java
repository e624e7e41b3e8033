package io.cleave.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.cli.CliRun;
import io.cleave.client.CliFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the cluster commands say to bad input and to a directory without a cluster; nothing is made. */
class ClusterInputTest {

  @Test
  void badCommandLinesAreUsageErrorsAndCreateNothing(@TempDir Path tmp) {
    Path dir = tmp.resolve("c");
    CliRun zero = CliRun.run("cluster", "up", "--nodes", "0", "--dir", dir.toString());
    assertEquals(2, zero.exit(), zero::toString);
    assertTrue(zero.err().startsWith("cleave: --nodes must be between 1 and 32, got 0\n"), zero::toString);
    CliRun missing = CliRun.run("cluster", "up", "--dir", dir.toString());
    assertEquals(2, missing.exit(), missing::toString);
    assertTrue(missing.err().contains("Missing required option: '--nodes=N'"), missing::toString);
    CliRun node0 = CliRun.run("cluster", "kill-node", "0", "--dir", dir.toString());
    assertEquals(2, node0.exit(), node0::toString);
    assertFalse(Files.exists(dir), "a refused command created " + dir);
  }

  @Test
  void aDirectoryWithoutAClusterIsSaidSo(@TempDir Path tmp) throws Exception {
    CliRun status = CliRun.run("cluster", "status", "--dir", tmp.toString());
    assertEquals(1, status.exit(), status::toString);
    assertTrue(status.err().startsWith("cleave: no cluster in " + tmp.toRealPath()), status::toString);
    CliRun kill = CliRun.run("cluster", "kill-node", "1", "--dir", tmp.toString());
    assertEquals(1, kill.exit(), kill::toString);
    assertTrue(kill.err().startsWith("cleave: no cluster in "), kill::toString);
    Path file = Files.writeString(tmp.resolve("plain-file"), "x");
    CliRun notDir = CliRun.run("cluster", "status", "--dir", file.toString());
    assertEquals(2, notDir.exit(), notDir::toString);
    assertTrue(notDir.err().contains("is not a directory"), notDir::toString);
  }

  @Test
  void subnetsStartFromTheTagAndSkipNetworksTheHostHas() {
    String tagA = ClusterLayout.tagOf("/srv/a");
    String tagB = ClusterLayout.tagOf("/srv/b");
    assertNotEquals(Subnet.choose(tagA, ""), Subnet.choose(tagB, ""));
    Subnet free = Subnet.choose(tagA, "");
    Subnet next = Subnet.choose(tagA, "4: eth0    inet " + free.hostAddress().replaceAll("\\.1$", ".77") + "/24 brd ...");
    assertNotEquals(free, next);
    Subnet pastRoute = Subnet.choose(tagA, "10." + free.x() + ".0.0/16 via 192.0.2.1 dev eth0");
    assertNotEquals(free.x(), pastRoute.x(), "a /16 route covers every /24 in it");
    CliFailure none = assertThrows(CliFailure.class, () -> Subnet.choose(tagA, "10.0.0.0/8 dev tun0 scope link"));
    assertTrue(none.getMessage().startsWith("no free /24"), none.getMessage());
  }
}
