package io.cleave.flows;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.flow.FlowRun.StepCall;
import io.cleave.common.flow.FlowStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * One call of a step as stored (item 0, or the item-th element of a map): its status, its result
 * once it succeeded, and every attempt so far. A succeeded item is never run again, even after a
 * restart; any other is.
 */
record StoredItem(String step, int item, FlowStatus status, JsonNode output, List<StepCall> calls) {

  static StoredItem fresh(String step, int item) {
    return new StoredItem(step, item, FlowStatus.PENDING, null, List.of());
  }

  /** Attempts that failed: they count against the step's retries (one cut short by a crash does not). */
  int failures() {
    return (int) calls.stream().filter(c -> c.status() == FlowStatus.FAILED).count();
  }

  StoredItem with(FlowStatus status, JsonNode output, StepCall call) {
    List<StepCall> next = new ArrayList<>(calls);
    if (!next.isEmpty() && next.get(next.size() - 1).attempt() == call.attempt()) {
      next.set(next.size() - 1, call);
    } else {
      next.add(call);
    }
    return new StoredItem(step, item, status, output, List.copyOf(next));
  }

  /** What a restart makes of an item that had not succeeded: pending, its attempts kept. */
  StoredItem pendingAgain() {
    return new StoredItem(step, item, FlowStatus.PENDING, null, calls);
  }
}
