package io.cleave.common.access;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * What an API key may do. {@code ADMIN} everything; {@code DEPLOY} manage one app's functions,
 * triggers, bundles and config, call them and read their activations; {@code INVOKE} call one
 * app's functions and nothing else; {@code METRICS} scrape {@code /metrics} and nothing else.
 */
public enum Role {
  ADMIN,
  DEPLOY,
  INVOKE,
  METRICS;

  /** Roles that belong to one app (and need its id). */
  public boolean appScoped() {
    return this == DEPLOY || this == INVOKE;
  }

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role named {@code text} ({@code admin}, {@code deploy}, {@code invoke}, {@code metrics}). */
  @JsonCreator
  public static Role parse(String text) {
    for (Role r : values()) {
      if (r.wireName().equals(text)) {
        return r;
      }
    }
    throw new IllegalArgumentException("role must be admin, deploy, invoke or metrics, not '" + text + "'");
  }
}
