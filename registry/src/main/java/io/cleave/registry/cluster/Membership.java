package io.cleave.registry.cluster;

import io.cleave.common.invoke.NodeLoad;

import java.util.List;
import java.util.UUID;

/** Which members form the cluster and where each serves its HTTP API. */
public interface Membership {

  /** One member as the cluster sees it now; {@code load} is null until its node published one. */
  record MemberView(UUID id, String address, String apiUrl, boolean local, NodeLoad load) {}

  /** Publishes this member's API base URL (e.g. {@code http://10.0.0.5:8080}). Blocking. */
  void publish(String apiUrl);

  /** Publishes this member's node load (memory, instances, seeds), for the others to see. Blocking. */
  void publishLoad(NodeLoad load);

  /** The members in the cluster's order (oldest first). Blocking: reads the shared URL map. */
  List<MemberView> members();

  String clusterName();
}
