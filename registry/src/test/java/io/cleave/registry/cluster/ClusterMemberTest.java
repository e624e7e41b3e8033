package io.cleave.registry.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import io.cleave.common.config.ServerConfig;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Hazelcast members on loopback, locked down: no client protocol at all, and only members
 * holding the cluster secret join each other.
 */
class ClusterMemberTest {
  private static final String NAME = "lock-" + UUID.randomUUID();
  @TempDir Path dir;
  private final List<ClusterMember> started = new ArrayList<>();

  @AfterEach
  void stop() {
    started.forEach(ClusterMember::close);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private ClusterMember member(int port, List<String> members, String secret) {
    ServerConfig cfg = ServerConfig.defaults(dir).withCluster(NAME, port, members).withClusterSecret(secret);
    ClusterMember m = ClusterMember.start(cfg, Map.of(), List.of());
    started.add(m);
    return m;
  }

  @Test
  void onlyMembersWithTheSecretJoinAndTheMembershipShowsTheConfiguredName() throws Exception {
    int portA = freePort();
    int portB = freePort();
    int portC = freePort();
    List<String> all = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB, "127.0.0.1:" + portC);
    ClusterMember a = member(portA, all, "right secret");
    ClusterMember intruder = member(portC, all, "wrong secret");
    ClusterMember b = member(portB, all, "right secret");

    assertEquals(2, a.hazelcast().getCluster().getMembers().size(), "B joined A");
    assertEquals(2, b.hazelcast().getCluster().getMembers().size());
    assertEquals(1, intruder.hazelcast().getCluster().getMembers().size(), "the member without the secret is alone");
    assertEquals(NAME, new HazelcastMembership(a.hazelcast()).clusterName(), "the name as configured, not the keyed one");
  }

  @Test
  void aHazelcastClientFindsNoEndpoint() throws Exception {
    int port = freePort();
    ClusterMember a = member(port, List.of(), "");
    ClientConfig client = new ClientConfig();
    client.setClusterName(NAME);
    client.getNetworkConfig().addAddress(a.address());
    client.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(3000);
    // With the client protocol on, this client would read and clear every registry map.
    assertThrows(IllegalStateException.class, () -> HazelcastClient.newHazelcastClient(client).shutdown());
  }

  @Test
  void joiningOthersWithoutASecretIsRefusedWithTheReason() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> member(5701, List.of("127.0.0.1:5702"), ""));
    assertTrue(e.getMessage().contains("cluster secret"), e.getMessage());
  }

  @Test
  void theKeyedNameDependsOnTheSecret() {
    assertEquals(NAME, ClusterMember.keyedName(NAME, ""), "standalone without a secret keeps the name");
    assertNotEquals(ClusterMember.keyedName(NAME, "s1"), ClusterMember.keyedName(NAME, "s2"));
    assertEquals(ClusterMember.keyedName(NAME, "s1"), ClusterMember.keyedName(NAME, "s1"));
    assertTrue(ClusterMember.keyedName(NAME, "s1").startsWith(NAME + "-"));
  }
}
