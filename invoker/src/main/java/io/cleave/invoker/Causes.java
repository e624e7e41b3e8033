package io.cleave.invoker;

import io.cleave.common.error.ApiError;

/** How the invoker words what went wrong, for callers and logs. */
final class Causes {
  private Causes() {}

  /** What a call waiting for an instance that did not start is told. */
  static ApiError startFailure(Throwable e) {
    if (e instanceof ApiError api) {
      if (api.status() == 503) {
        return new ApiError(503, "no capacity on this node: " + api.getMessage(), 1);
      }
      return api.status() >= 500 ? api : new ApiError(502, "function could not start: " + api.getMessage());
    }
    return new ApiError(502, "function could not start: " + message(e));
  }

  static String message(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
