package io.cleave.invoker;

import io.cleave.scheduler.ColdOnlyPlacement;
import io.cleave.scheduler.ForkPlacement;
import io.cleave.scheduler.KeepAlivePlacement;
import io.cleave.scheduler.Placement;
import io.cleave.scheduler.RemoteForkPlacement;
import java.util.Locale;

/** How a node finds an instance for a call: the name of a {@link Placement}. */
public enum Policy {
  /** Every call gets a fresh cold instance, stopped after the call. */
  COLD_ONLY("cold-only", new ColdOnlyPlacement()),
  /** Idle instances are reused for the function's idle_timeout, else cold start (Fn/OpenWhisk caching). */
  KEEP_ALIVE("keep-alive", new KeepAlivePlacement()),
  /** Idle instance, else fork from the function's seed on this node, else cold start (which makes the seed). */
  FORK("fork", new ForkPlacement()),
  /**
   * One seed per function version in the whole cluster: idle instance, else fork of the seed when it
   * is here, else a child restored here from the seed on another node, else cold start (which claims
   * the seed when the cluster has none).
   */
  REMOTE_FORK("remote-fork", new RemoteForkPlacement());

  private final String wireName;
  private final Placement placement;

  Policy(String wireName, Placement placement) {
    this.wireName = wireName;
    this.placement = placement;
  }

  public String wireName() {
    return wireName;
  }

  Placement placement() {
    return placement;
  }

  /**
   * Whether a new instance comes from a running seed when it can: a fork of a Python seed, a new
   * instance in a JVM seed. Under cold-only and keep-alive every instance starts on its own.
   */
  boolean startsFromSeeds() {
    return this == FORK || this == REMOTE_FORK;
  }

  /** Parses {@code cold-only | keep-alive | fork | remote-fork}; the error lists the accepted names. */
  public static Policy parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (Policy p : values()) {
      if (p.wireName.equals(t)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown policy '" + text + "' (use one of: "
        + java.util.Arrays.stream(values()).map(Policy::wireName).collect(java.util.stream.Collectors.joining(", "))
        + ")");
  }
}
