package io.cleave.common.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How an instance came to serve a call; {@link #wireName()} is the form used in JSON, metrics and
 * CSV. {@link #INSTANCE}: a new instance inside a running runtime seed that hosts several (a JVM
 * seed), made without a fork.
 */
public enum StartMode {
  WARM("warm"),
  FORK("fork"),
  REMOTE_FORK("remote-fork"),
  RESTORE("restore"),
  INSTANCE("instance"),
  COLD("cold");

  private final String wireName;

  StartMode(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  @JsonCreator
  public static StartMode fromWireName(String name) {
    for (StartMode m : values()) {
      if (m.wireName.equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown start mode: " + name);
  }
}
