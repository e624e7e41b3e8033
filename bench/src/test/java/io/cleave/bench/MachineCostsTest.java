package io.cleave.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.json.Json;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class MachineCostsTest {

  @Test
  void theProbeMeasuresThisMachine() {
    MachineCosts costs = MachineCosts.measure();
    assertTrue(costs.pageFaultUs() > 0 && costs.pageFaultUs() < 10_000, "page fault " + costs.pageFaultUs() + " us");
    assertTrue(costs.forkExitMs() > 0 && costs.forkExitMs() < 10_000, "fork + exit " + costs.forkExitMs() + " ms");
    JsonObject machine = costs.summary(1.5, 2.5);
    assertTrue(machine.getDouble("page_fault_us") > 0, machine.encode());
  }

  @Test
  void unknownCostsSaySo() throws Exception {
    JsonObject machine = MachineCosts.UNKNOWN.summary(Double.NaN, Double.NaN);
    assertTrue(machine.containsKey("page_fault_us") && machine.getValue("page_fault_us") == null, machine.encode());
    assertTrue(MachineCosts.UNKNOWN.line().contains("page fault unknown us"), MachineCosts.UNKNOWN.line());
    // As bench finra writes it, through Jackson.
    ObjectNode json = (ObjectNode) Json.MAPPER.readTree(machine.encode());
    assertTrue(json.get("page_fault_us").isNull() && json.get("fork_exit_64mb_ms").isNull(), json.toString());
  }
}
