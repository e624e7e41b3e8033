package io.cleave.registry;

import com.hazelcast.map.MapStore;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Write-through Hazelcast MapStore on one RocksDB column family: Hazelcast calls {@link #store}
 * before it acknowledges a put, and RocksDB syncs before store returns.
 */
final class RocksMapStore<V> implements MapStore<String, V> {
  private final RegistryDb db;
  private final String family;
  private final Function<V, byte[]> encode;
  private final Function<byte[], V> decode;

  RocksMapStore(RegistryDb db, String family, Function<V, byte[]> encode, Function<byte[], V> decode) {
    this.db = db;
    this.family = family;
    this.encode = encode;
    this.decode = decode;
  }

  @Override
  public void store(String key, V value) {
    db.put(family, key, encode.apply(value));
  }

  @Override
  public void storeAll(Map<String, V> map) {
    map.forEach(this::store);
  }

  @Override
  public void delete(String key) {
    db.delete(family, key);
  }

  @Override
  public void deleteAll(Collection<String> keys) {
    keys.forEach(this::delete);
  }

  /**
   * Everything is loaded eagerly when the cluster first starts, so a key missing from the map does
   * not exist: answering null here keeps a stale copy on this member's disk from coming back.
   */
  @Override
  public V load(String key) {
    return null;
  }

  /** The initial (eager) load. */
  @Override
  public Map<String, V> loadAll(Collection<String> keys) {
    Map<String, V> out = new HashMap<>();
    for (String k : keys) {
      byte[] bytes = db.get(family, k);
      if (bytes != null) {
        out.put(k, decode.apply(bytes));
      }
    }
    return out;
  }

  byte[] encode(V value) {
    return encode.apply(value);
  }

  @Override
  public Iterable<String> loadAllKeys() {
    return db.keys(family);
  }
}
