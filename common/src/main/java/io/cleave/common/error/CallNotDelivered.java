package io.cleave.common.error;

/**
 * A call forwarded to another member that did not reach that member's invoker, or whose fate is
 * unknown there because the connection broke (the member died, a proxy answered, the door refused
 * it). A client of a synchronous call sees it as the error it is; a detached call stays queued and
 * is delivered again, since nothing says it completed.
 */
public final class CallNotDelivered extends ApiError {
  public CallNotDelivered(int status, String message) {
    super(status, message);
  }
}
