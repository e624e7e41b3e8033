package io.cleave.common.invoke;

import io.vertx.core.Future;

/**
 * The narrow interface through which the gateway reaches a node's invoker. In one process it is a
 * direct call; in a cluster the same interface is carried over HTTP to the chosen node.
 * Platform failures (no capacity, instance crashed, timed out) fail the future with
 * {@link io.cleave.common.error.ApiError}.
 */
public interface FunctionInvoker {

  /** Runs the call and completes with the function's answer. */
  Future<CallResult> call(Call call);

  /** Persists the call in the durable detached queue; completes once it is on disk. */
  Future<Void> submitDetached(Call call);
}
