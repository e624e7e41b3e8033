package io.cleave.forkd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How forkd reads a container helper's status lines while the container is prepared. */
class ContainerPrepareTest {

  /**
   * The init may report "prepared" before the helper reports the init's pid (they are two
   * processes writing one pipe; on a busy machine about one prepare in five): the container is
   * ready all the same, not left to the watchdog.
   */
  @Test
  @Timeout(20)
  void preparedBeforeTheInitsPidIsReady() throws Exception {
    // A stand-in helper that is its own "init": the shell's pid stays the same across exec.
    List<String> helper = List.of("/bin/sh", "-c", "echo prepared; echo helper $$; exec sleep 60");
    Container c = Container.prepare(helper, 10_000);
    long pid = c.initPid();
    assertTrue(pid > 0);
    assertTrue(c.alive());
    assertEquals(pid, ProcessHandle.of(pid).orElseThrow().pid());
    c.killAndWait();
    assertFalse(c.alive());
  }

  @Test
  @Timeout(20)
  void pidFirstThenPreparedStillWorks() throws Exception {
    Container c = Container.prepare(List.of("/bin/sh", "-c", "echo helper $$; echo prepared; exec sleep 60"), 10_000);
    assertTrue(c.alive());
    c.killAndWait();
    assertFalse(c.alive());
  }
}
