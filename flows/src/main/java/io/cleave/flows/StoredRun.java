package io.cleave.flows;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.flow.Flow;
import io.cleave.common.flow.FlowStatus;
import java.time.Instant;

/**
 * A run as stored: the flow as it was when the run started (later edits do not reach it), the
 * input, and once ended its status with the result or the error.
 */
record StoredRun(String id, Flow flow, JsonNode input, boolean detached, FlowStatus status, JsonNode output,
    String error, Instant createdAt, Instant finishedAt) {

  StoredRun ended(FlowStatus status, JsonNode output, String error) {
    return new StoredRun(id, flow, input, detached, status, output, error, createdAt, Instant.now());
  }
}
