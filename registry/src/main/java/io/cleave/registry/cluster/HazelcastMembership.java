package io.cleave.registry.cluster;

import io.cleave.common.invoke.NodeLoad;
import io.cleave.common.json.Json;
import java.nio.charset.StandardCharsets;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Membership as Hazelcast sees it. Every member publishes its API URL under its Hazelcast member
 * id; a member that leaves is dropped by whoever sees it go.
 */
public final class HazelcastMembership implements Membership {
  static final String API_URLS = "member-api-urls";
  static final String LOADS = "member-loads";
  /** The member attribute holding the cluster's name as configured (the name used at join carries a digest). */
  static final String NAME_ATTRIBUTE = "cleave.cluster";

  private final HazelcastInstance hz;
  private final IMap<UUID, String> apiUrls;
  /** Each node's last published load, as JSON. */
  private final IMap<UUID, String> loads;

  public HazelcastMembership(HazelcastInstance hz) {
    this.hz = hz;
    this.apiUrls = hz.getMap(API_URLS);
    this.loads = hz.getMap(LOADS);
    hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        // a new member publishes its own URL
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        apiUrls.delete(event.getMember().getUuid());
        loads.delete(event.getMember().getUuid());
      }
    });
  }

  @Override
  public void publish(String apiUrl) {
    apiUrls.set(hz.getCluster().getLocalMember().getUuid(), apiUrl);
  }

  @Override
  public void publishLoad(NodeLoad load) {
    loads.set(hz.getCluster().getLocalMember().getUuid(), new String(Json.toBytes(load), StandardCharsets.UTF_8));
  }

  @Override
  public List<MemberView> members() {
    List<MemberView> out = new ArrayList<>();
    for (Member m : hz.getCluster().getMembers()) {
      out.add(new MemberView(m.getUuid(), m.getAddress().getHost() + ":" + m.getAddress().getPort(),
          apiUrls.get(m.getUuid()), m.localMember(), load(m.getUuid())));
    }
    return out;
  }

  private NodeLoad load(UUID member) {
    String json = loads.get(member);
    return json == null ? null : Json.fromBytes(json.getBytes(StandardCharsets.UTF_8), NodeLoad.class);
  }

  @Override
  public String clusterName() {
    return hz.getCluster().getLocalMember().getAttribute(NAME_ATTRIBUTE);
  }
}
