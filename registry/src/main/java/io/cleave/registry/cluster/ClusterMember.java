package io.cleave.registry.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This process's Hazelcast member: no multicast, no auto-detection, TCP join only when a member
 * list is given (standalone otherwise), no phone-home, no Jet, logging at WARNING and above.
 *
 * <p>Locked down as far as the open-source edition allows: one member endpoint on the cluster
 * interface and nothing else (no client protocol, REST or memcache: a Hazelcast client run inside
 * a function, or anywhere, finds no endpoint to talk to); and members prove they hold the cluster
 * secret by the cluster name they present, which carries a keyed digest of it ({@link
 * #keyedName}), so a member without the secret is refused at join. That name crosses the network
 * in the clear and member traffic is not encrypted (TLS and socket interceptors are Enterprise
 * features): the cluster interface must be a private network (README, "Cluster security").
 */
public final class ClusterMember implements AutoCloseable {
  // java.util.logging holds loggers weakly; keep ours so its level sticks.
  private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");
  // Start-up notes that are expected here: the JDK module-access hint and "no join method" when standalone.
  private static final Logger FACTORY_LOG = Logger.getLogger("com.hazelcast.instance.impl.HazelcastInstanceFactory");
  private static final Logger NODE_LOG = Logger.getLogger("com.hazelcast.instance.impl.Node");

  private final HazelcastInstance hz;

  private ClusterMember(HazelcastInstance hz) {
    this.hz = hz;
  }

  /**
   * Starts the member. {@code stores} maps a Hazelcast map name to the MapStore that keeps it
   * durable (write-through, loaded eagerly); {@code jsonTypes} are value classes carried as JSON.
   */
  public static ClusterMember start(ServerConfig cfg, Map<String, Object> stores, List<Class<?>> jsonTypes) {
    if (!cfg.members().isEmpty() && cfg.clusterSecret().isEmpty()) {
      throw new IllegalArgumentException("joining other members needs a cluster secret (--cluster-secret or"
          + " CLEAVE_CLUSTER_SECRET, the same on every member): members prove membership with it");
    }
    HAZELCAST_LOG.setLevel(Level.WARNING);
    FACTORY_LOG.setLevel(Level.SEVERE);
    NODE_LOG.setLevel(cfg.members().isEmpty() ? Level.SEVERE : Level.WARNING);
    Config config = new Config();
    config.setClusterName(keyedName(cfg.clusterName(), cfg.clusterSecret()));
    config.getMemberAttributeConfig().setAttribute(HazelcastMembership.NAME_ATTRIBUTE, cfg.clusterName());
    config.setInstanceName("cleave-" + cfg.clusterName() + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    config.setProperty("hazelcast.logging.type", "jdk");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.partition.count", "71");
    config.getJetConfig().setEnabled(false);

    AdvancedNetworkConfig network = config.getAdvancedNetworkConfig().setEnabled(true);
    ServerSocketEndpointConfig members = new ServerSocketEndpointConfig();
    members.setPort(cfg.clusterPort()).setPortAutoIncrement(true).setPortCount(100);
    members.getInterfaces().setEnabled(true).addInterface(cfg.clusterHost());
    network.setMemberEndpointConfig(members);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getKubernetesConfig().setEnabled(false);
    if (cfg.members().isEmpty()) {
      join.getTcpIpConfig().setEnabled(false);
    } else {
      join.getTcpIpConfig().setEnabled(true).setMembers(cfg.members()).setConnectionTimeoutSeconds(2);
    }

    int typeId = 1001;
    for (Class<?> type : jsonTypes) {
      config.getSerializationConfig().addSerializerConfig(
          new SerializerConfig().setTypeClass(type).setImplementation(new JsonSerializer<>(type, typeId++)));
    }

    stores.forEach((mapName, store) -> {
      MapStoreConfig storeConfig = new MapStoreConfig()
          .setEnabled(true)
          .setImplementation(store)
          .setWriteDelaySeconds(0)
          .setInitialLoadMode(MapStoreConfig.InitialLoadMode.EAGER);
      config.addMapConfig(new MapConfig(mapName).setMapStoreConfig(storeConfig).setBackupCount(1));
    });
    return new ClusterMember(Hazelcast.newHazelcastInstance(config));
  }

  /**
   * The name members present at join: the cluster's name and, when there is a secret, the first
   * 128 bits of HMAC-SHA256(secret, name), so only holders of the secret present the same name.
   */
  static String keyedName(String name, String secret) {
    if (secret.isEmpty()) {
      return name;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] digest = mac.doFinal(name.getBytes(StandardCharsets.UTF_8));
      return name + "-" + HexFormat.of().formatHex(digest, 0, 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable: " + e.getMessage(), e);
    }
  }

  public HazelcastInstance hazelcast() {
    return hz;
  }

  /** host:port this member listens on for other members. */
  public String address() {
    var a = hz.getCluster().getLocalMember().getAddress();
    return a.getHost() + ":" + a.getPort();
  }

  @Override
  public void close() {
    hz.shutdown();
  }

  /** Carries a record through Hazelcast as its Cleave JSON form (the same bytes RocksDB keeps). */
  private static final class JsonSerializer<T> implements StreamSerializer<T> {
    private final Class<T> type;
    private final int typeId;

    JsonSerializer(Class<T> type, int typeId) {
      this.type = type;
      this.typeId = typeId;
    }

    @Override
    public void write(ObjectDataOutput out, T object) throws IOException {
      out.writeByteArray(Json.toBytes(object));
    }

    @Override
    public T read(ObjectDataInput in) throws IOException {
      return Json.fromBytes(in.readByteArray(), type);
    }

    @Override
    public int getTypeId() {
      return typeId;
    }
  }
}
