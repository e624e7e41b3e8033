package io.cleave.common.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Map;

/**
 * Where a function's instances may connect, chosen by the function's annotation
 * {@code cleave.io/network}: {@code none} (the default: loopback only) or {@code outbound}
 * (connections out through the node's bridge, never to the node itself or its cluster).
 */
public enum FnNetwork {
  NONE("none"),
  OUTBOUND("outbound");

  public static final String ANNOTATION = "cleave.io/network";

  private final String wireName;

  FnNetwork(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  @JsonCreator
  public static FnNetwork fromWireName(String name) {
    for (FnNetwork n : values()) {
      if (n.wireName.equals(name)) {
        return n;
      }
    }
    throw new IllegalArgumentException(ANNOTATION + " must be \"none\" or \"outbound\", got " + name);
  }

  /** The network a function's annotations ask for; annotations are checked on write ({@link Rules#fnNetwork}). */
  public static FnNetwork of(Map<String, Object> annotations) {
    Object value = annotations == null ? null : annotations.get(ANNOTATION);
    return value == null ? NONE : fromWireName(value.toString());
  }
}
