package io.cleave.forkd.api;

/**
 * Why a remote fork start failed on a node ({@link ForkdStats.RemoteForks#failed()} and the
 * invoker's {@code cleave_remote_fork_failures_total{reason}}).
 */
public enum RemoteForkFailure {
  /** The seed's page server no longer has the handle (the seed went, or its page server restarted). */
  REVOKED("revoked"),
  /** The page server refused the handle's key. */
  WRONG_KEY("wrong-key"),
  /** The seed's page server could not be reached, or it broke off. */
  UNREACHABLE("unreachable"),
  /** This node differs from the seed's: kernel vDSO, CPU features, or a file the seed mapped. */
  MISMATCH("mismatch"),
  /** The restorer refused for another reason before the child ran (corrupt descriptor, unsupported state). */
  REFUSED("refused"),
  /** The restored child exited before it was ready. */
  EXITED("exited"),
  /** The child was not ready within forkd's start timeout. */
  TIMEOUT("timeout"),
  /** No free uid for another container on this node. */
  NO_CAPACITY("no-capacity"),
  /** This node cannot fork remotely now (no fork primitive, or its page server is down). */
  UNAVAILABLE("unavailable"),
  /** The start request was invalid (bad remote reference, bundle, memory). */
  BAD_REQUEST("bad-request"),
  /** Anything else (forkd could not set the child up). */
  ERROR("error");

  private final String wireName;

  RemoteForkFailure(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }
}
