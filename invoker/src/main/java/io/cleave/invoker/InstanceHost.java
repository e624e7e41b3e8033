package io.cleave.invoker;

import io.cleave.forkd.api.ForkdStats;
import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;

/**
 * Where the node's instances and seeds run: forkd ({@link ForkdHost}), or an in-memory host in
 * tests. Futures may complete on any thread; failures are {@link io.cleave.common.error.ApiError}s
 * with forkd's statuses (docs/CONTRACTS.md, invoker → forkd).
 */
interface InstanceHost {

  /** Starts a cold instance, a seed or a fork; completes once it is ready. */
  Future<StartedInstance> start(StartRequest request);

  Future<InstanceStatus> status(String instanceId);

  /** What the host's remote forks and page server did since it started counting. */
  Future<ForkdStats> stats();

  /** Stops the instance (a seed's children live on) and removes what it left. */
  Future<Void> delete(String instanceId);
}
