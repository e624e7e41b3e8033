package io.cleave.scheduler;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.cleave.common.json.Json;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The seed directory shared by every member, in a Hazelcast map (records as JSON). A claim is a
 * {@code putIfAbsent}, so it is atomic across members; updates and releases are conditional on the
 * holder. Each member keeps a copy fed by entry events for {@link #find}. When a member leaves,
 * any member that sees it go drops its seeds, so the next call elects a new seed elsewhere.
 * Hazelcast calls block, so writes run on one thread of their own, never on an event loop.
 */
public final class HazelcastSeedDirectory implements SeedDirectory, AutoCloseable {
  static final String MAP = "cleave-seeds";
  private static final Logger LOG = Logger.getLogger(HazelcastSeedDirectory.class.getName());

  private final IMap<String, String> map;
  private final Map<String, SeedRecord> view = new ConcurrentHashMap<>();
  private final List<Consumer<String>> watchers = new CopyOnWriteArrayList<>();
  private final ExecutorService writes = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "seed-directory");
    t.setDaemon(true);
    return t;
  });
  private final java.util.UUID membershipListener;
  private final java.util.UUID entryListener;
  private final HazelcastInstance hz;
  /** Asked per placement through {@link #isLocal}: read once, a member's id never changes. */
  private final String localMember;

  public HazelcastSeedDirectory(HazelcastInstance hz) {
    this.hz = hz;
    this.localMember = hz.getCluster().getLocalMember().getUuid().toString();
    this.map = hz.getMap(MAP);
    // Listen first, then copy, so nothing written meanwhile is missed.
    this.entryListener = map.addEntryListener(new Feed(), true);
    map.forEach((k, v) -> view.put(k, read(v)));
    this.membershipListener = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        // a new member claims seeds as its calls need them
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        dropSeedsOf(event.getMember().getUuid().toString());
      }
    });
  }

  /** This member's id, which records carry so they go when it leaves. */
  String localMember() {
    return localMember;
  }

  @Override
  public CompletionStage<SeedRecord> claim(SeedKey key, String node) {
    SeedRecord starting = new SeedRecord(key.fnId(), key.version(), node, localMember(), false, null);
    return CompletableFuture.supplyAsync(() -> {
      String held = map.putIfAbsent(key.id(), write(starting));
      return held == null ? null : read(held);
    }, writes);
  }

  @Override
  public CompletionStage<Void> ready(SeedKey key, String node, RemoteSeed remote) {
    return CompletableFuture.runAsync(() -> {
      String held = map.get(key.id());
      if (held != null && isLocal(read(held))) {
        map.replace(key.id(), held, write(read(held).asReady(remote)));
      }
    }, writes);
  }

  @Override
  public CompletionStage<Void> release(SeedKey key, String node) {
    return CompletableFuture.runAsync(() -> {
      String held = map.get(key.id());
      if (held != null && isLocal(read(held))) {
        map.remove(key.id(), held);
      }
    }, writes);
  }

  @Override
  public boolean isLocal(SeedRecord record) {
    return record.member().equals(localMember());
  }

  @Override
  public SeedRecord find(SeedKey key) {
    return view.get(key.id());
  }

  @Override
  public void watch(Consumer<String> changed) {
    watchers.add(changed);
  }

  /** Tells the watchers of a change to another member's record, which the local copy already shows. */
  private void changed(SeedRecord record) {
    if (record == null || isLocal(record)) {
      return;
    }
    for (Consumer<String> w : watchers) {
      try {
        w.accept(record.fnId());
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a seed directory watcher failed on function " + record.fnId(), e);
      }
    }
  }

  private void dropSeedsOf(String member) {
    view.forEach((key, record) -> {
      if (record.member().equals(member)) {
        writes.execute(() -> {
          try {
            map.remove(key, write(record));
          } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot drop seed " + key + " of departed member " + member, e);
          }
        });
      }
    });
  }

  @Override
  public void close() {
    try {
      map.removeEntryListener(entryListener);
      hz.getCluster().removeMembershipListener(membershipListener);
    } catch (RuntimeException e) {
      // Hazelcast already shut down with the registry
    }
    writes.shutdownNow();
  }

  private static String write(SeedRecord r) {
    return new String(Json.toBytes(r), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static SeedRecord read(String json) {
    return Json.fromBytes(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), SeedRecord.class);
  }

  /** Applies entry events from any member to the local copy. */
  private final class Feed implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
      EntryRemovedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      SeedRecord record = read(event.getValue());
      view.put(event.getKey(), record);
      changed(record);
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      SeedRecord record = read(event.getValue());
      view.put(event.getKey(), record);
      changed(record);
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      SeedRecord gone = view.remove(event.getKey());
      changed(gone != null ? gone : event.getOldValue() == null ? null : read(event.getOldValue()));
    }
  }
}
