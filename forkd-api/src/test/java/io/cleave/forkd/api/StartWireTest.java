package io.cleave.forkd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.error.ApiError;
import io.cleave.common.json.WireJson;
import io.cleave.common.model.StartMode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The start RPC's JSON stays what forkd and docs/CONTRACTS.md expect: lowercase mode strings. */
class StartWireTest {
  @Test
  void requestsCarryTheirModeAsTheContractsLowercaseString() {
    assertEquals("{\"fn_id\":\"f\",\"app_id\":\"a\",\"bundle_dir\":\"/b\",\"memory_mb\":64,\"command\":[\"/x\"],"
        + "\"env\":{},\"mode\":\"cold\"}", WireJson.write(StartRequest.cold("f", "a", "/b", 64, List.of("/x"), Map.of())));
    assertEquals("{\"fn_id\":\"f\",\"app_id\":\"a\",\"bundle_dir\":\"/b\",\"memory_mb\":64,\"command\":[\"/x\"],"
        + "\"env\":{},\"mode\":\"seed\"}", WireJson.write(StartRequest.seed("f", "a", "/b", 64, List.of("/x"), Map.of())));
    assertEquals("{\"fn_id\":\"f\",\"app_id\":\"a\",\"memory_mb\":64,\"env\":{},\"mode\":\"fork\",\"seed_id\":\"s-1\"}",
        WireJson.write(StartRequest.fork("s-1", "f", "a", 64, Map.of())));
  }

  @Test
  void forkdReadsEachModeBack() {
    StartRequest seed = WireJson.read("{\"fn_id\":\"f\",\"mode\":\"seed\",\"bundle_dir\":\"/b\"}", StartRequest.class);
    assertEquals(StartMode.COLD, seed.mode());
    assertTrue(seed.seed());
    StartRequest cold = WireJson.read("{\"fn_id\":\"f\",\"mode\":\"cold\"}", StartRequest.class);
    assertEquals(StartMode.COLD, cold.mode());
    assertFalse(cold.seed());
    StartRequest fork = WireJson.read("{\"mode\":\"fork\",\"seed_id\":\"s-1\",\"memory_mb\":32}", StartRequest.class);
    assertEquals(StartMode.FORK, fork.mode());
    assertEquals("s-1", fork.seedId());
    assertEquals(32, fork.memoryMb());
    assertNull(WireJson.read("{\"fn_id\":\"f\"}", StartRequest.class).mode());
    StartRequest remote = WireJson.read("{\"mode\":\"remote-fork\",\"remote\":{\"pageserver\":\"10.0.0.1:7070\","
        + "\"handle\":3,\"key\":\"ab\"}}", StartRequest.class);
    assertEquals(StartMode.REMOTE_FORK, remote.mode());
    assertEquals(3, remote.remote().handle());
    StartRequest after = WireJson.read("{\"mode\":\"fork\",\"seed_id\":\"s-1\",\"after\":{\"call_id\":\"c-9\","
        + "\"wait_seconds\":30}}", StartRequest.class);
    assertEquals(new StartRequest.ForkAfter("c-9", 30), after.after());
    assertNull(fork.after());
  }

  @Test
  void aModeForkdCannotStartIsMalformed() {
    for (String mode : List.of("warm", "restore", "bogus")) {
      ApiError e = assertThrows(ApiError.class,
          () -> WireJson.read("{\"fn_id\":\"f\",\"mode\":\"" + mode + "\"}", StartRequest.class));
      assertEquals(400, e.status(), mode);
    }
  }

  @Test
  void answersCarryTheStartMode() {
    StartedInstance fork = new StartedInstance("c-1", 42, "/run/lsnr.sock", StartMode.FORK, 1.5, null, null);
    String json = WireJson.write(fork);
    assertTrue(json.contains("\"start_mode\":\"fork\""), json);
    assertEquals(fork, WireJson.read(json, StartedInstance.class));
    assertEquals(StartMode.COLD,
        WireJson.read("{\"instance_id\":\"s-1\",\"pid\":7,\"start_mode\":\"cold\",\"start_ms\":3}", StartedInstance.class)
            .startMode());
  }
}
