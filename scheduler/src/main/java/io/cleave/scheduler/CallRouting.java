package io.cleave.scheduler;

import io.cleave.common.invoke.NodeLoad;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Where a call runs in the cluster: on the node whose gateway received it, unless that node is full
 * (no free memory for the function and nothing idle it could evict), then on the member with the
 * most free memory that fits the function. A forwarded call is never forwarded again.
 */
public final class CallRouting {
  /** Another member that could run the call: where its API is and its last published load. */
  public record Candidate(String apiUrl, NodeLoad load) {}

  private CallRouting() {}

  /** The member to forward the call to, or empty to run it here. */
  public static Optional<Candidate> forwardTo(NodeLoad here, List<Candidate> others, int memoryMb) {
    if (here.freeMb() >= memoryMb || here.idle() > 0 || here.seeds() > 0) {
      return Optional.empty(); // room now, or room once idle instances or seeds are evicted
    }
    return others.stream()
        .filter(c -> c.apiUrl() != null && c.load() != null && c.load().freeMb() >= memoryMb)
        .max(Comparator.comparingLong(c -> c.load().freeMb()));
  }
}
