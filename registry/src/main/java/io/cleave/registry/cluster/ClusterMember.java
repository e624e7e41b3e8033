package io.cleave.registry.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This process's Hazelcast member: no multicast, no auto-detection, TCP join only when a member
 * list is given (standalone otherwise), no phone-home, no Jet, logging at WARNING and above.
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
    HAZELCAST_LOG.setLevel(Level.WARNING);
    FACTORY_LOG.setLevel(Level.SEVERE);
    NODE_LOG.setLevel(cfg.members().isEmpty() ? Level.SEVERE : Level.WARNING);
    Config config = new Config();
    config.setClusterName(cfg.clusterName());
    config.setInstanceName("cleave-" + cfg.clusterName() + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    config.setProperty("hazelcast.logging.type", "jdk");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.partition.count", "71");
    config.getJetConfig().setEnabled(false);

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(cfg.clusterPort()).setPortAutoIncrement(true).setPortCount(100);
    network.getInterfaces().setEnabled(true).addInterface(cfg.clusterHost());
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
