package io.cleave.forkd.api;

/** {@code GET /v1/health}: the container pool's fill level and how many instances and seeds run. */
public record ForkdHealth(boolean ok, Pool pool, int instances, int seeds) {

  /** Pre-created lean containers ready to take an instance, and how many forkd keeps ready. */
  public record Pool(int ready, int target) {}
}
