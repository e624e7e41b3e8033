package io.cleave.invoker;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.function.Consumer;

/**
 * A remote child dies mid-call when its seed's page server goes (the seed's node lost, or the
 * seed retired): the call did not fail, its pages did. This tells such a death from the
 * function's own, and cuts the seed's other children here off.
 */
final class RemoteChildLoss {
  /** How long a remote child's exit may take to reach the host after its connection broke: 20 checks, 50 ms apart. */
  private static final int EXIT_CHECKS = 20;
  private static final long EXIT_CHECK_MS = 50;

  private final Vertx vertx;
  private final InstanceHost host;
  private final Seeds seeds;

  RemoteChildLoss(Vertx vertx, InstanceHost host, Seeds seeds) {
    this.vertx = vertx;
    this.host = host;
    this.seeds = seeds;
  }

  /** Why the restorer ended the remote child (its page server lost), or null when the child ended otherwise. */
  Future<String> endedBySeedLoss(String instanceId) {
    return whyEnded(instanceId, EXIT_CHECKS);
  }

  /** Asks again while the host has not yet seen the exit that broke the connection. */
  private Future<String> whyEnded(String id, int checksLeft) {
    return host.status(id).compose(s -> {
      if (!s.running() || checksLeft <= 1) {
        return Future.succeededFuture(s.exitReason());
      }
      Promise<String> later = Promise.promise();
      vertx.setTimer(EXIT_CHECK_MS, t -> whyEnded(id, checksLeft - 1).onComplete(later));
      return later.future();
    });
  }

  /**
   * The seed {@code child} was restored from is unreachable: its other ready children here are
   * retired too (they would take calls only to refuse them), and remote forks pause so calls
   * start another way.
   */
  void cutOff(FunctionPool pool, Instance child, String reason, Consumer<Instance> retire) {
    for (Instance i : new ArrayList<>(pool.instances)) {
      if (i != child && child.restoredFrom.equals(i.restoredFrom) && i.state == Instance.State.READY) {
        retire.accept(i);
      }
    }
    seeds.remoteSeedLost(pool, child.seedNode, reason);
  }
}
