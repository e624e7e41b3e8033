package io.cleave.registry.cluster;

import java.util.List;
import java.util.UUID;

/** Which members form the cluster and where each serves its HTTP API. */
public interface Membership {

  /** One member as the cluster sees it now. */
  record MemberView(UUID id, String address, String apiUrl, boolean local) {}

  /** Publishes this member's API base URL (e.g. {@code http://10.0.0.5:8080}). Blocking. */
  void publish(String apiUrl);

  /** The members in the cluster's order (oldest first). Blocking: reads the shared URL map. */
  List<MemberView> members();

  String clusterName();
}
