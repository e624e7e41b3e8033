package io.cleave.common.flow;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.cleave.common.model.Rules;

/**
 * How a producer's state reaches its consumer along one edge. {@code copy}: the platform
 * serialises the producer's return value and hands it to the consumer as input. {@code fork}: the
 * consumer's instance is forked from the producer's instance after it returned and reads its live
 * objects (see {@code StatePassing} in the flows module).
 */
public enum EdgePass {
  COPY("copy"),
  FORK("fork");

  private final String wireName;

  EdgePass(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  @JsonCreator
  public static EdgePass fromWireName(String name) {
    for (EdgePass p : values()) {
      if (p.wireName.equals(name)) {
        return p;
      }
    }
    throw Rules.bad("pass must be copy or fork, not " + name);
  }
}
