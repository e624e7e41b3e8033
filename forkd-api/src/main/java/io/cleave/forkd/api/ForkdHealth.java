package io.cleave.forkd.api;

/**
 * {@code GET /v1/health}: the container pool's fill level, how many instances and seeds run, and
 * the node's page server ({@code host:port} remote children fetch prepared seeds from; {@code null}
 * while it is down or when this node has no fork primitive).
 */
public record ForkdHealth(boolean ok, Pool pool, int instances, int seeds, String pageserver) {

  /** Pre-created lean containers ready to take an instance, and how many forkd keeps ready. */
  public record Pool(int ready, int target) {}
}
