package io.cleave.common.error;

/**
 * An error a client should see as Fn's {@code {"message": ...}} body with the given HTTP status.
 * {@code retryAfterSeconds} > 0 adds a {@code Retry-After} header (e.g. 503 when a node is full).
 * {@link CallNotDelivered} is the one kind that says more: the call never reached an invoker.
 */
public sealed class ApiError extends RuntimeException permits CallNotDelivered {
  private final int status;
  private final int retryAfterSeconds;

  public ApiError(int status, String message) {
    this(status, message, 0);
  }

  public ApiError(int status, String message, int retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int status() {
    return status;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
