package io.cleave.registry;

import io.cleave.common.error.ApiError;

import com.hazelcast.map.IMap;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Trigger;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** What the registry's writes share: index keys, locks, times, and the immutable forms of maps. */
final class RegistryValues {
  /** A lock a crashed member held is released after this long, so the cluster never wedges. */
  private static final long LOCK_LEASE_SECONDS = 60;

  private RegistryValues() {}

  static String fnKey(String appId, String name) {
    return appId + "/" + name;
  }

  /** Trigger names are unique per function, as in Fn. */
  static String nameKey(Trigger t) {
    return t.appId() + "/" + t.fnId() + "/" + t.name();
  }

  static String sourceKey(Trigger t) {
    return t.appId() + ":" + t.type() + ":" + t.source();
  }

  /**
   * True when an index entry is live: the entity it points at exists and still has that key.
   * Entries left by a crash between claiming a key and writing the entity are not live.
   */
  /** {@code value}, or a 404 with Fn's message when there is none. */
  static <T> T found(T value, String notFound) {
    if (value == null) {
      throw new ApiError(404, notFound);
    }
    return value;
  }

  static <T> boolean holds(T entity, java.util.function.Predicate<T> hasKey) {
    return entity != null && hasKey.test(entity);
  }

  static <K, T> T withLock(IMap<K, ?> map, K key, Supplier<T> body) {
    map.lock(key, LOCK_LEASE_SECONDS, TimeUnit.SECONDS);
    try {
      return body.get();
    } finally {
      map.unlock(key);
    }
  }

  static <T> List<T> collect(Iterable<T> all, java.util.function.Predicate<T> keep) {
    List<T> out = new ArrayList<>();
    for (T t : all) {
      if (keep.test(t)) {
        out.add(t);
      }
    }
    return out;
  }

  static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  /** A later updated_at than {@code previous}, even within the same millisecond. */
  static Instant later(Instant previous) {
    Instant now = now();
    return now.isAfter(previous) ? now : previous.plusMillis(1);
  }

  static int orDefault(Integer v, int dflt) {
    return v == null || v == 0 ? dflt : v;
  }

  static int keep(Integer v, int current) {
    return v == null || v == 0 ? current : v;
  }

  static boolean blank(String s) {
    return s == null || s.isEmpty();
  }

  static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  static <V> Map<String, V> nonNull(Map<String, V> m) {
    return m == null ? Map.of() : m;
  }

  static <V> Map<String, V> frozen(Map<String, V> m) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  static Fn withMaps(Fn f) {
    return new Fn(f.id(), f.name(), f.appId(), f.image(), f.memory(), f.timeout(), f.idleTimeout(), f.concurrency(),
        frozen(nonNull(f.config())), frozen(nonNull(f.annotations())), f.createdAt(), f.updatedAt());
  }

  static Trigger withMaps(Trigger t) {
    return new Trigger(t.id(), t.name(), t.appId(), t.fnId(), t.type(), t.source(), frozen(nonNull(t.annotations())),
        t.createdAt(), t.updatedAt());
  }

}
