package io.cleave.scheduler.registry;

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

  @Override
  public V load(String key) {
    byte[] bytes = db.get(family, key);
    return bytes == null ? null : decode.apply(bytes);
  }

  @Override
  public Map<String, V> loadAll(Collection<String> keys) {
    Map<String, V> out = new HashMap<>();
    for (String k : keys) {
      V v = load(k);
      if (v != null) {
        out.put(k, v);
      }
    }
    return out;
  }

  @Override
  public Iterable<String> loadAllKeys() {
    return db.keys(family);
  }
}
