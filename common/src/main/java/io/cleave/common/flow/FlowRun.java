package io.cleave.common.flow;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;

/**
 * A run of a flow as the API shows it. {@code detached}: started with {@code Fn-Invoke-Type:
 * detached}. {@code output} is the result (the last step's, or an object of the last steps'
 * results by name), set once the run succeeded; {@code steps} is absent in lists.
 */
public record FlowRun(String id, String flowId, String flowName, String appId, FlowStatus status, boolean detached,
    JsonNode output, String error, Instant createdAt, Instant finishedAt, Long durationMs, List<StepRun> steps) {

  /**
   * One step of a run: its edges and map as the run's flow had them, and {@code items}, the number
   * of calls a map makes (null for other steps).
   */
  public record StepRun(String name, String fn, List<FlowEdge> after, String map, FlowStatus status, Integer items,
      Instant startedAt, Instant finishedAt, Long durationMs, List<StepCall> calls) {}

  /**
   * One call of a step: which item (0 unless mapped) and attempt, its activation id and how its
   * instance started ({@code start_mode}), how state reached it ({@code pass}), its times and error.
   */
  public record StepCall(int item, int attempt, String activationId, String startMode, EdgePass pass,
      FlowStatus status, Instant startedAt, Instant finishedAt, Long durationMs, String error) {}
}
