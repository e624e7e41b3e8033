package io.cleave.registry;

import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Trigger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/**
 * This member's in-memory copy of the registry, fed by the member's own writes and by Hazelcast
 * entry events for everyone else's. All API reads and every invoke-path lookup are served from
 * here: no network hop, no disk. An entity's {@code updatedAt} rises strictly with each write, so
 * an event that arrives late never replaces newer data, and recently deleted ids are remembered so
 * a late event cannot bring them back.
 */
final class RegistryView {
  private static final long TOMBSTONE_NANOS = 10L * 60 * 1_000_000_000;

  private final Map<String, App> apps = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<String, App> appsByName = new ConcurrentSkipListMap<>();
  private final Map<String, Fn> fns = new ConcurrentHashMap<>();
  private final Map<String, ConcurrentSkipListMap<String, Fn>> fnsByApp = new ConcurrentHashMap<>();
  private final Map<String, Trigger> triggers = new ConcurrentHashMap<>();
  private final Map<String, ConcurrentSkipListMap<String, Trigger>> triggersByApp = new ConcurrentHashMap<>();
  private final Map<String, Trigger> triggersBySource = new ConcurrentHashMap<>();
  private final Map<String, Long> tombstones = new ConcurrentHashMap<>();

  // ---- feed ----

  synchronized void put(App a) {
    App cur = apps.get(a.id());
    if (stale(a.id(), cur == null ? null : cur.updatedAt(), a.updatedAt())) {
      return;
    }
    if (cur != null) {
      appsByName.remove(cur.name(), cur);
    }
    apps.put(a.id(), a);
    appsByName.put(a.name(), a);
  }

  synchronized void put(Fn f) {
    Fn cur = fns.get(f.id());
    if (stale(f.id(), cur == null ? null : cur.updatedAt(), f.updatedAt())) {
      return;
    }
    if (cur != null) {
      byApp(fnsByApp, cur.appId()).remove(cur.name(), cur);
    }
    fns.put(f.id(), f);
    byApp(fnsByApp, f.appId()).put(f.name(), f);
  }

  synchronized void put(Trigger t) {
    Trigger cur = triggers.get(t.id());
    if (stale(t.id(), cur == null ? null : cur.updatedAt(), t.updatedAt())) {
      return;
    }
    if (cur != null) {
      byApp(triggersByApp, cur.appId()).remove(listKey(cur), cur);
      triggersBySource.remove(sourceKey(cur.appId(), cur.source()), cur);
    }
    triggers.put(t.id(), t);
    byApp(triggersByApp, t.appId()).put(listKey(t), t);
    triggersBySource.put(sourceKey(t.appId(), t.source()), t);
  }

  synchronized void removeApp(String id) {
    bury(id);
    App cur = apps.remove(id);
    if (cur != null) {
      appsByName.remove(cur.name(), cur);
    }
  }

  synchronized void removeFn(String id) {
    bury(id);
    Fn cur = fns.remove(id);
    if (cur != null) {
      byApp(fnsByApp, cur.appId()).remove(cur.name(), cur);
    }
  }

  synchronized void removeTrigger(String id) {
    bury(id);
    Trigger cur = triggers.remove(id);
    if (cur != null) {
      byApp(triggersByApp, cur.appId()).remove(listKey(cur), cur);
      triggersBySource.remove(sourceKey(cur.appId(), cur.source()), cur);
    }
  }

  private boolean stale(String id, java.time.Instant current, java.time.Instant incoming) {
    if (tombstones.containsKey(id)) {
      return true;
    }
    return current != null && !incoming.isAfter(current);
  }

  private void bury(String id) {
    long now = System.nanoTime();
    tombstones.put(id, now);
    if (tombstones.size() > 1024) {
      tombstones.values().removeIf(t -> now - t > TOMBSTONE_NANOS);
    }
  }

  private static <T> ConcurrentSkipListMap<String, T> byApp(Map<String, ConcurrentSkipListMap<String, T>> index,
      String appId) {
    return index.computeIfAbsent(appId, k -> new ConcurrentSkipListMap<>());
  }

  static String sourceKey(String appId, String source) {
    return appId + ":" + source;
  }

  /**
   * Where a trigger sits in its app's list: by name, then id. Names are unique per function only,
   * so one app may have several triggers of a name; names never contain NUL.
   */
  private static String listKey(Trigger t) {
    return t.name() + KEY_SEPARATOR + t.id();
  }

  private static final char KEY_SEPARATOR = '\u0000';

  // ---- reads ----

  Optional<App> app(String id) {
    return Optional.ofNullable(apps.get(id));
  }

  Optional<App> appByName(String name) {
    return Optional.ofNullable(appsByName.get(name));
  }

  Optional<Fn> fn(String id) {
    return Optional.ofNullable(fns.get(id));
  }

  Optional<Trigger> trigger(String id) {
    return Optional.ofNullable(triggers.get(id));
  }

  Optional<Trigger> triggerBySource(String appId, String source) {
    return Optional.ofNullable(triggersBySource.get(sourceKey(appId, source)));
  }

  Page<App> listApps(String name, String cursor, int perPage) {
    return page(appsByName, name, cursor, perPage, a -> true);
  }

  Page<Fn> listFns(String appId, String name, String cursor, int perPage) {
    var m = fnsByApp.get(appId);
    return m == null ? new Page<>(List.of(), null) : page(m, name, cursor, perPage, f -> true);
  }

  /** Every function of the app, in no particular order. */
  List<Fn> fnsOfApp(String appId) {
    var m = fnsByApp.get(appId);
    return m == null ? List.of() : List.copyOf(m.values());
  }

  /** Every function this member knows of. */
  List<Fn> allFns() {
    return List.copyOf(fns.values());
  }

  Page<Trigger> listTriggers(String appId, String fnId, String name, String cursor, int perPage) {
    var m = triggersByApp.get(appId);
    if (m == null) {
      return new Page<>(List.of(), null);
    }
    return page(m, name, cursor, perPage, t -> fnId == null || fnId.equals(t.fnId()));
  }

  /**
   * Fn's paging: items ordered by name after the cursor; a next cursor when the page is full. Keys
   * are names, or for triggers name + NUL + id; the cursor is the last key sent (base64url), which
   * for apps and functions is the name, exactly as Fn's. A cursor without NUL skips past that name.
   */
  static <T> Page<T> page(NavigableMap<String, T> byKey, String name, String cursor, int perPage,
      Predicate<T> filter) {
    // Lower bound from the cursor and the name, upper bound from the name.
    String from = null;
    boolean fromInclusive = true;
    if (cursor != null && !cursor.isEmpty()) {
      String after = decodeCursor(cursor);
      if (after.indexOf(KEY_SEPARATOR) >= 0) {
        from = after;
        fromInclusive = false;
      } else {
        from = after + (char) (KEY_SEPARATOR + 1);
      }
    }
    String to = null;
    if (name != null && !name.isEmpty()) {
      // The key is the name itself or starts with name + NUL.
      if (from == null || name.compareTo(from) > 0) {
        from = name;
        fromInclusive = true;
      }
      to = name + (char) (KEY_SEPARATOR + 1);
    }
    NavigableMap<String, T> range = byKey;
    if (to != null && from.compareTo(to) >= 0) {
      range = java.util.Collections.emptyNavigableMap();
    } else if (to != null) {
      range = range.subMap(from, fromInclusive, to, false);
    } else if (from != null) {
      range = range.tailMap(from, fromInclusive);
    }
    List<T> items = new ArrayList<>();
    String last = null;
    for (Map.Entry<String, T> e : range.entrySet()) {
      if (items.size() == perPage) {
        break;
      }
      if (filter.test(e.getValue())) {
        items.add(e.getValue());
        last = e.getKey();
      }
    }
    String next = items.size() == perPage && last != null
        ? Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8))
        : null;
    return new Page<>(List.copyOf(items), next);
  }

  /** The key a cursor names; one that is not base64url of UTF-8 was never sent by this API. */
  private static String decodeCursor(String cursor) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .decode(java.nio.ByteBuffer.wrap(Base64.getUrlDecoder().decode(cursor))).toString();
    } catch (IllegalArgumentException | java.nio.charset.CharacterCodingException e) {
      throw new io.cleave.common.error.ApiError(400, "Invalid cursor");
    }
  }
}
