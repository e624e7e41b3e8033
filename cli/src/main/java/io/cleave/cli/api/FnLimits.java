package io.cleave.cli.api;

import io.cleave.client.UsageFailure;

import java.util.Optional;

/**
 * The ranges the server accepts for a function's limits (README, "Functions"), checked by the
 * CLI before it sends anything: a value the server would refuse, or silently take as "not given"
 * (0), never reaches it.
 */
public enum FnLimits {
  // Fn's rule for memory: at least 1 MB, at most 8 GB.
  MEMORY("memory", "--memory", 1, 8192, "MB"),
  TIMEOUT("timeout", "--timeout", 1, 300, "seconds"),
  IDLE_TIMEOUT("idle_timeout", "--idle-timeout", 1, 3600, "seconds");

  private final String field;
  private final String option;
  private final int min;
  private final int max;
  private final String unit;

  FnLimits(String field, String option, int min, int max, String unit) {
    this.field = field;
    this.option = option;
    this.min = min;
    this.max = max;
    this.unit = unit;
  }

  /** The JSON field and func.yaml key. */
  public String field() {
    return field;
  }

  public int min() {
    return min;
  }

  public int max() {
    return max;
  }

  /** Why {@code value} is out of range ({@code what} names it), or empty when it is fine. */
  public Optional<String> problem(String what, long value) {
    if (value >= min && value <= max) {
      return Optional.empty();
    }
    return Optional.of(what + " must be between " + min + " and " + max + " " + unit + ", got " + value);
  }

  /** Checks a command-line option; null means "not given". */
  public void checkOption(Integer value) {
    if (value != null) {
      problem(option, value).ifPresent(p -> {
        throw new UsageFailure(p);
      });
    }
  }
}
