package io.cleave.registry.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Which members form the cluster and where each serves its HTTP API. Every member publishes its
 * API URL under its Hazelcast member id; a member that leaves is dropped by whoever sees it go.
 */
public final class Membership {
  static final String API_URLS = "member-api-urls";

  /** One member as the cluster sees it now. */
  public record MemberView(UUID id, String address, String apiUrl, boolean local) {}

  private final HazelcastInstance hz;
  private final IMap<UUID, String> apiUrls;

  public Membership(HazelcastInstance hz) {
    this.hz = hz;
    this.apiUrls = hz.getMap(API_URLS);
    hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        // a new member publishes its own URL
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        apiUrls.delete(event.getMember().getUuid());
      }
    });
  }

  /** Publishes this member's API base URL (e.g. {@code http://10.0.0.5:8080}). Blocking. */
  public void publish(String apiUrl) {
    apiUrls.set(hz.getCluster().getLocalMember().getUuid(), apiUrl);
  }

  /** The members in the cluster's order (oldest first). Blocking: reads the shared URL map. */
  public List<MemberView> members() {
    List<MemberView> out = new ArrayList<>();
    for (Member m : hz.getCluster().getMembers()) {
      out.add(new MemberView(m.getUuid(), m.getAddress().getHost() + ":" + m.getAddress().getPort(),
          apiUrls.get(m.getUuid()), m.localMember()));
    }
    return out;
  }

  public String clusterName() {
    return hz.getConfig().getClusterName();
  }
}
