package io.cleave.registry;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.partition.PartitionService;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Keeps this member's RocksDB a copy of the whole registry, not only of the partitions it owns.
 * The owner of a key stores it (synced) through the MapStore before a write is acknowledged;
 * every other member copies the change from the entry event. Thus any member can start a stopped
 * cluster again with everything, and a member joining a running cluster first overwrites its copy
 * with the cluster's state.
 */
final class RegistryMirror {
  private final RegistryDb db;
  private final PartitionService partitions;
  private final HazelcastInstance hz;

  RegistryMirror(HazelcastInstance hz, RegistryDb db) {
    this.hz = hz;
    this.db = db;
    this.partitions = hz.getPartitionService();
  }

  <V> UUID follow(IMap<String, V> map, RocksMapStore<V> store) {
    String family = map.getName();
    return map.addEntryListener(new Copier<>(family, store), true);
  }

  /** Replaces this member's copy of {@code map} with the cluster's current content. */
  <V> void resync(IMap<String, V> map, RocksMapStore<V> store) {
    String family = map.getName();
    Set<String> stale = new HashSet<>(db.keys(family));
    for (Map.Entry<String, V> e : map.entrySet()) {
      db.putUnsynced(family, e.getKey(), store.encode(e.getValue()));
      stale.remove(e.getKey());
    }
    for (String key : stale) {
      db.deleteUnsynced(family, key);
    }
  }

  boolean joinedOthers() {
    return hz.getCluster().getMembers().size() > 1;
  }

  private boolean ownedHere(String key) {
    var owner = partitions.getPartition(key).getOwner();
    return owner != null && owner.localMember();
  }

  private final class Copier<V> implements EntryAddedListener<String, V>, EntryUpdatedListener<String, V>,
      EntryRemovedListener<String, V> {
    private final String family;
    private final RocksMapStore<V> store;

    Copier(String family, RocksMapStore<V> store) {
      this.family = family;
      this.store = store;
    }

    @Override
    public void entryAdded(EntryEvent<String, V> event) {
      copy(event);
    }

    @Override
    public void entryUpdated(EntryEvent<String, V> event) {
      copy(event);
    }

    @Override
    public void entryRemoved(EntryEvent<String, V> event) {
      // The owner already deleted it through the MapStore; a late event must not touch its disk.
      if (!ownedHere(event.getKey())) {
        db.deleteUnsynced(family, event.getKey());
      }
    }

    private void copy(EntryEvent<String, V> event) {
      if (!ownedHere(event.getKey())) {
        db.putUnsynced(family, event.getKey(), store.encode(event.getValue()));
      }
    }
  }
}
