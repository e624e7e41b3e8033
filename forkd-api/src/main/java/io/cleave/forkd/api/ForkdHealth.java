package io.cleave.forkd.api;

/**
 * {@code GET /v1/health}: the container pool's fill level, how many instances and seeds run, the
 * node's page server ({@code host:port} remote children fetch prepared seeds from; {@code null}
 * while it is down or when this node has no fork primitive), and the remote children's slots
 * (cgroup, run dir and container each) made ahead: none until this node restored its first one.
 */
public record ForkdHealth(boolean ok, Pool pool, int instances, int seeds, String pageserver, Pool remoteSlots) {

  /** Things made ahead (pre-created lean containers, remote children's slots) ready now, and how many forkd keeps ready. */
  public record Pool(int ready, int target) {}
}
