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

  /**
   * Runs a call taken from a detached queue (this node's or another member's), at most once per
   * call id on the node that runs it: an id that completed there answers its recorded outcome, one
   * running there is joined. The run is recorded durably before the answer, so the queue may drop
   * the call once this completes. A failure that is a 503 or {@link
   * io.cleave.common.error.CallNotDelivered} means the call did not run and must be delivered again.
   */
  Future<CallResult> runDetached(Call call);
}
