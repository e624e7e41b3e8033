package io.cleave.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.cli.CliRun;
import io.cleave.client.CliFailure;
import io.cleave.invoker.InvokerSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cleave bench spike --nodes N} up to the point where it would bring up a cluster: bad
 * input exits 2 before anything starts, a user other than root is told why, and what each node's
 * server is given. (The cluster run itself is measured by hand, see README: it takes minutes.)
 */
class SpikeClustersTest {

  @Test
  void nodesOutsideTwoToEightExitTwoBeforeAnythingStarts(@TempDir Path tmp) {
    for (String n : List.of("1", "0", "9")) {
      Path out = tmp.resolve("out" + n);
      CliRun r = CliRun.run("bench", "spike", "--nodes", n, "--quick", "--out", out.toString());
      assertEquals(2, r.exit(), r::toString);
      assertTrue(r.err().contains("--nodes must be between 2 and 8"), r::toString);
      assertTrue(r.err().contains("got " + n), r::toString);
      assertFalse(Files.exists(out), "nothing is written for a refused command line");
    }
    CliRun word = CliRun.run("bench", "spike", "--nodes", "three");
    assertEquals(2, word.exit(), word::toString);
    assertTrue(word.err().contains("Invalid value for option '--nodes': 'three' is not an int"), word::toString);
  }

  @Test
  void aUserOtherThanRootIsToldTheClusterNeedsRoot() {
    CliFailure refused = assertThrows(CliFailure.class, () -> SpikeClusters.refuseUnlessRoot(1000));
    assertTrue(refused.getMessage().startsWith("cleave bench spike --nodes needs root"), refused.getMessage());
    assertTrue(refused.getMessage().contains("drop --nodes for the single-node spike"), refused.getMessage());
    SpikeClusters.refuseUnlessRoot(0);
  }

  @Test
  void everyNodeRunsThePolicyOnItsShareOfTheMachinesMemory() {
    long share = InvokerSettings.defaultCapacityMb() / 3;
    assertEquals(List.of("--policy", "remote-fork", "--node-memory", share + "m"),
        SpikeClusters.nodeServerArgs("remote-fork", 3, List.of()));
    // A memory the user gives wins; the user's arguments come last.
    assertEquals(List.of("--policy", "keep-alive", "--node-memory=2g", "--seed-idle", "1m"),
        SpikeClusters.nodeServerArgs("keep-alive", 3, List.of("--node-memory=2g", "--seed-idle", "1m")));
  }
}
