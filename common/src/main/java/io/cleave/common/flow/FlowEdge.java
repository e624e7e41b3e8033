package io.cleave.common.flow;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * One edge into a step: the producer step's name and how its state passes. In JSON an edge is
 * either the producer's name alone ({@code "fetch"}, passed by copy) or {@code {"step": "fetch",
 * "pass": "fork"}}.
 */
public record FlowEdge(String step, EdgePass pass) {

  @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
  public FlowEdge {
    pass = pass == null ? EdgePass.COPY : pass;
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static FlowEdge copyFrom(String step) {
    return new FlowEdge(step, EdgePass.COPY);
  }
}
