package io.cleave.forkd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A function that keeps printing past the node's output cap keeps running: forkd rotates its
 * output (copytruncate into output.1), so writes never meet the cap and the newest lines stay.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutputRotationTest {
  @RegisterExtension
  final ForkdOnce once = new ForkdOnce("forkd-rotation");
  private static final int LIMIT_MB = 1;
  ForkdProcess forkd;
  Path bundle;

  @BeforeAll
  void startForkd() throws Exception {
    forkd = once.start(Map.of("CLEAVE_FORKD_LOG_LIMIT_MB", Integer.toString(LIMIT_MB)));
    bundle = once.bundle("bundle", "/sdkfunc/chatty.py", "chatty.py");
  }

  @Test
  void aChattyFunctionKeepsRunningAndItsNewestOutputStays() throws Exception {
    StartedInstance chatty = forkd.await(forkd.client.start(StartRequest.cold("fn-chatty", "app1", bundle.toString(),
        64, ForkdProcess.command("chatty.py"), ForkdProcess.env(Map.of()))));
    Path output = Path.of(chatty.listener()).resolveSibling("output");
    int printed = 300 * 1024;
    for (int call = 1; call <= 8; call++) {
      // 2.4 MB in all against a 1 MB cap: without rotation the fourth call's print fails (EFBIG).
      assertEquals("call-" + call, forkd.call(chatty.listener(), printed + " call-" + call).getString("marker"));
      Thread.sleep(400);
    }
    long cap = (long) LIMIT_MB << 20;
    assertTrue(Files.size(output) < cap, "the output stays under the cap: " + Files.size(output));
    Path rotated = output.resolveSibling(OutputRotation.ROTATED);
    assertTrue(Files.exists(rotated), "the older output moved to output.1");
    String newest = Files.readString(rotated) + Files.readString(output);
    assertTrue(newest.contains("call-8\n") && newest.contains("call-7\n"), "the newest calls' lines are kept");
    assertTrue(!newest.contains("call-1\n"), "the oldest went");
    forkd.await(forkd.client.delete(chatty.instanceId()));
  }
}
