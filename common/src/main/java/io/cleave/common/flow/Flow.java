package io.cleave.common.flow;

import java.time.Instant;
import java.util.List;

/**
 * A named DAG of steps inside an app (a workflow). Names are unique per app. The steps are stored
 * as validated by {@link FlowRules}: names unique, every edge to a known step, no cycle.
 */
public record Flow(String id, String appId, String name, List<FlowStep> steps, Instant createdAt, Instant updatedAt) {

  /** Steps no other step comes after: the run's result is theirs. */
  public List<FlowStep> sinks() {
    return steps.stream()
        .filter(s -> steps.stream().noneMatch(o -> o.edges().stream().anyMatch(e -> e.step().equals(s.name()))))
        .toList();
  }
}
