package io.cleave.common.flow;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Where a run, a step or one call of a step stands. */
public enum FlowStatus {
  PENDING("pending"),
  RUNNING("running"),
  SUCCEEDED("succeeded"),
  FAILED("failed"),
  CANCELLED("cancelled");

  private final String wireName;

  FlowStatus(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  public boolean ended() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }

  @JsonCreator
  public static FlowStatus fromWireName(String name) {
    for (FlowStatus s : values()) {
      if (s.wireName.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown flow status: " + name);
  }
}
