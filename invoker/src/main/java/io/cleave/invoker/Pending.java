package io.cleave.invoker;

import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.vertx.core.Promise;

/** A call waiting for, or running on, an instance. */
final class Pending {
  final Call call;
  final Promise<CallResult> promise;
  final long arrivedNanos = System.nanoTime();
  long capacityTimer = -1;
  /** Set once a dispatch failed before reaching the function, so it is retried only once. */
  boolean redispatched;

  Pending(Call call, Promise<CallResult> promise) {
    this.call = call;
    this.promise = promise;
  }
}
