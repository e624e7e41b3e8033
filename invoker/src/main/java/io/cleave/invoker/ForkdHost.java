package io.cleave.invoker;

import io.cleave.forkd.api.ForkdClient;
import io.cleave.forkd.api.ForkdStats;
import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;

/** The node's forkd as the instance host, over its RPC client. */
final class ForkdHost implements InstanceHost {
  private final ForkdClient forkd;

  ForkdHost(ForkdClient forkd) {
    this.forkd = forkd;
  }

  @Override
  public Future<StartedInstance> start(StartRequest request) {
    return forkd.start(request);
  }

  @Override
  public Future<InstanceStatus> status(String instanceId) {
    return forkd.status(instanceId);
  }

  @Override
  public Future<ForkdStats> stats() {
    return forkd.stats();
  }

  @Override
  public Future<Void> delete(String instanceId) {
    return forkd.delete(instanceId);
  }
}
