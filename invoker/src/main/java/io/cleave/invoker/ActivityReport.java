package io.cleave.invoker;

import io.cleave.common.invoke.FnActivity;
import io.cleave.common.model.StartMode;
import java.util.Map;
import java.util.TreeMap;

/** Builds a function's {@link FnActivity} from its pool and its call tally; on the invoker's loop. */
final class ActivityReport {
  private ActivityReport() {}

  /** {@code pool} is null when the function has no instances, seed or waiting calls here. */
  static FnActivity of(String node, String fnId, FunctionPool pool, CallTally tally) {
    int starting = 0;
    int idle = 0;
    int parked = 0;
    int busy = 0;
    int children = 0;
    Map<String, Integer> byOrigin = new TreeMap<>();
    Map<String, Integer> remoteChildren = new TreeMap<>();
    FnActivity.SeedState seed = null;
    if (pool != null) {
      for (Instance i : pool.instances) {
        if (i.destroyed || i.state == Instance.State.RETIRED) {
          continue;
        }
        if (i.state == Instance.State.STARTING) {
          starting++;
        } else if (i.parked) {
          parked++;
        } else if (i.active > 0) {
          busy++;
        } else {
          idle++;
        }
        byOrigin.merge(i.origin.wireName(), 1, Integer::sum);
        if (i.origin == StartMode.REMOTE_FORK && i.seedNode != null) {
          remoteChildren.merge(i.seedNode, 1, Integer::sum);
        }
        if (pool.seed != null && i.version.equals(pool.seed.version) && i.origin == StartMode.FORK) {
          children++;
        }
      }
      if (pool.seed != null && pool.seed.state != Seed.State.RETIRED) {
        seed = new FnActivity.SeedState(pool.seed.state == Seed.State.READY ? "ready" : "starting",
            pool.seed.remote != null, children);
      }
    }
    return new FnActivity(node, tally.calls(fnId), tally.latency(fnId),
        new FnActivity.Instances(starting, idle, parked, busy), byOrigin, seed, remoteChildren);
  }
}
