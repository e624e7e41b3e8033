package io.cleave.registry;

import io.cleave.common.model.Rules;
import io.cleave.common.model.AppPatch;
import io.cleave.common.model.FnPatch;
import io.cleave.common.model.TriggerPatch;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryLoadedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.error.ApiError;
import io.cleave.common.id.Ulid;
import io.cleave.common.json.Json;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Trigger;
import io.cleave.registry.cluster.ClusterMember;
import io.cleave.registry.cluster.HazelcastMembership;
import io.cleave.registry.cluster.Membership;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The apps / fns / triggers registry. Hazelcast IMaps hold the shared state; each map is written
 * through to RocksDB (synced) before a write returns, and loaded eagerly on start. Uniqueness of
 * names and trigger sources is kept by index maps claimed under a cluster-wide lock on the app
 * (or, for app names, on the name), with Fn's scopes: app names are unique, function names per
 * app, trigger names per function, trigger (type, source) per app. Reads come from a local
 * {@link RegistryView}.
 *
 * <p>Write methods block (locks, synced disk writes): call them from worker threads, never from an
 * event loop. Read methods are local and non-blocking.
 */
public final class Registry implements AppRegistry, FnRegistry, TriggerRegistry, AutoCloseable {
  static final String APPS = "apps";
  static final String FNS = "fns";
  static final String TRIGGERS = "triggers";
  static final String APP_NAMES = "app-names";
  static final String FN_NAMES = "fn-names";
  static final String TRIGGER_NAMES = "trigger-names";
  static final String TRIGGER_SOURCES = "trigger-sources";
  static final List<String> MAPS = List.of(APPS, FNS, TRIGGERS, APP_NAMES, FN_NAMES, TRIGGER_NAMES, TRIGGER_SOURCES);
  private static final long LOCK_LEASE_SECONDS = 60;

  private final RegistryDb db;
  private final ClusterMember member;
  private final IMap<String, App> apps;
  private final IMap<String, Fn> fns;
  private final IMap<String, Trigger> triggers;
  private final IMap<String, String> appNames;
  private final IMap<String, String> fnNames;
  private final IMap<String, String> triggerNames;
  private final IMap<String, String> triggerSources;
  private final RegistryView view = new RegistryView();
  private final List<BiConsumer<String, Optional<Fn>>> fnListeners = new CopyOnWriteArrayList<>();
  private final Membership membership;

  private Registry(RegistryDb db, ClusterMember member, Map<String, RocksMapStore<?>> stores) {
    this.db = db;
    this.member = member;
    HazelcastInstance hz = member.hazelcast();
    membership = new HazelcastMembership(hz);
    apps = hz.getMap(APPS);
    fns = hz.getMap(FNS);
    triggers = hz.getMap(TRIGGERS);
    appNames = hz.getMap(APP_NAMES);
    fnNames = hz.getMap(FN_NAMES);
    triggerNames = hz.getMap(TRIGGER_NAMES);
    triggerSources = hz.getMap(TRIGGER_SOURCES);
    // Listen first, then copy, so nothing written meanwhile is missed.
    apps.addEntryListener(new Feed<App>(view::put, view::removeApp), true);
    fns.addEntryListener(new Feed<Fn>(
        f -> {
          view.put(f);
          fnListeners.forEach(l -> l.accept(f.id(), Optional.of(f)));
        },
        id -> {
          view.removeFn(id);
          fnListeners.forEach(l -> l.accept(id, Optional.empty()));
        }), true);
    triggers.addEntryListener(new Feed<Trigger>(view::put, view::removeTrigger), true);
    apps.values().forEach(view::put);
    fns.values().forEach(view::put);
    triggers.values().forEach(view::put);
    RegistryMirror mirror = new RegistryMirror(hz, db);
    boolean joined = mirror.joinedOthers();
    for (String name : MAPS) {
      follow(mirror, hz.getMap(name), stores.get(name), joined);
    }
    reindexTriggerNames();
  }

  /**
   * Trigger names were once unique per app (index key {@code <app>/<name>}); they are unique per
   * function now, as in Fn ({@code <app>/<fn>/<name>}). Claims every stored trigger's key in the
   * current form and drops the old one, so data written before keeps its uniqueness. Idempotent.
   */
  private void reindexTriggerNames() {
    for (Trigger t : triggers.values()) {
      triggerNames.putIfAbsent(nameKey(t), t.id());
      triggerNames.remove(t.appId() + "/" + t.name(), t.id());
    }
  }

  @SuppressWarnings("unchecked")
  private static <V> void follow(RegistryMirror mirror, IMap<String, V> map, RocksMapStore<?> store, boolean joined) {
    RocksMapStore<V> typed = (RocksMapStore<V>) store;
    mirror.follow(map, typed);
    if (joined) {
      mirror.resync(map, typed);
    }
  }

  /**
   * Opens the registry of this server: RocksDB under {@code <data>/registry} and this process's
   * Hazelcast member, loading everything stored before it returns.
   */
  public static Registry open(ServerConfig cfg) {
    RegistryDb db = new RegistryDb(cfg.dataDir().resolve("registry"), MAPS);
    try {
      Map<String, RocksMapStore<?>> stores = new LinkedHashMap<>();
      stores.put(APPS, new RocksMapStore<App>(db, APPS, Json::toBytes, b -> Json.fromBytes(b, App.class)));
      stores.put(FNS, new RocksMapStore<Fn>(db, FNS, Json::toBytes, b -> Json.fromBytes(b, Fn.class)));
      stores.put(TRIGGERS, new RocksMapStore<Trigger>(db, TRIGGERS, Json::toBytes, b -> Json.fromBytes(b, Trigger.class)));
      for (String index : List.of(APP_NAMES, FN_NAMES, TRIGGER_NAMES, TRIGGER_SOURCES)) {
        stores.put(index, new RocksMapStore<String>(db, index, s -> s.getBytes(StandardCharsets.UTF_8),
            b -> new String(b, StandardCharsets.UTF_8)));
      }
      ClusterMember member = ClusterMember.start(cfg, new LinkedHashMap<>(stores),
          List.of(App.class, Fn.class, Trigger.class));
      try {
        return new Registry(db, member, stores);
      } catch (RuntimeException e) {
        member.close();
        throw e;
      }
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /**
   * Tells {@code listener} of every function written or deleted on any member: its id and its new
   * definition, empty once deleted. Called on a Hazelcast event thread; it must not block.
   */
  public void onFnChange(BiConsumer<String, Optional<Fn>> listener) {
    fnListeners.add(listener);
  }

  public HazelcastInstance hazelcast() {
    return member.hazelcast();
  }

  /** The cluster's members and their API URLs. */
  public Membership membership() {
    return membership;
  }

  public String clusterAddress() {
    return member.address();
  }

  @Override
  public void close() {
    member.close();
    db.close();
  }

  // ---------------------------------------------------------------- reads (local, non-blocking)

  @Override
  public Optional<App> app(String id) {
    return view.app(id);
  }

  @Override
  public Optional<App> appByName(String name) {
    return view.appByName(name);
  }

  @Override
  public Optional<Fn> fn(String id) {
    return view.fn(id);
  }

  @Override
  public Optional<Trigger> trigger(String id) {
    return view.trigger(id);
  }

  @Override
  public Page<App> listApps(String name, String cursor, int perPage) {
    return view.listApps(name, cursor, perPage);
  }

  @Override
  public Page<Fn> listFns(String appId, String name, String cursor, int perPage) {
    return view.listFns(appId, name, cursor, perPage);
  }

  @Override
  public Page<Trigger> listTriggers(String appId, String fnId, String name, String cursor, int perPage) {
    return view.listTriggers(appId, fnId, name, cursor, perPage);
  }

  @Override
  public Optional<FnTarget> target(String fnId) {
    return view.fn(fnId).flatMap(f -> view.app(f.appId()).map(a -> new FnTarget(a, f)));
  }

  @Override
  public Optional<TriggerRoute> route(String appName, String source) {
    return view.appByName(appName).flatMap(a -> view.triggerBySource(a.id(), source)
        .flatMap(t -> view.fn(t.fnId()).map(f -> new TriggerRoute(a, f, t))));
  }

  // ---------------------------------------------------------------- apps

  @Override
  public App createApp(AppPatch p) {
    if (p.id() != null && !p.id().isEmpty()) {
      throw Rules.bad("App ID cannot be supplied on create");
    }
    Rules.appName(p.name());
    Map<String, Object> annotations = p.annotations() == null ? Map.of() : p.annotations();
    Rules.annotations(annotations);
    Rules.syslogUrl(p.syslogUrl());
    Rules.shape(p.shape());
    // As in Fn, a create stores config as given: {"a": ""} keeps the key with an empty value.
    Map<String, String> config = p.config() == null ? Map.of() : p.config();
    Rules.config(config);
    Instant now = now();
    App app = new App(Ulid.next(), p.name(), frozen(config), frozen(annotations), emptyToNull(p.syslogUrl()),
        emptyToNull(p.shape()), now, now);
    withLock(appNames, p.name(), () -> {
      String existing = appNames.get(app.name());
      if (existing != null && holds(apps.get(existing), a -> a.name().equals(app.name()))) {
        throw new ApiError(409, "App already exists");
      }
      appNames.set(app.name(), app.id());
      apps.set(app.id(), app);
      return null;
    });
    view.put(app);
    return app;
  }

  @Override
  public App updateApp(String id, AppPatch p) {
    if (p.id() != null && !p.id().isEmpty() && !p.id().equals(id)) {
      throw Rules.bad("App ID in path does not match ID in body");
    }
    App updated = withLock(apps, id, () -> {
      App cur = apps.get(id);
      if (cur == null) {
        throw new ApiError(404, "App not found");
      }
      if (p.name() != null && !p.name().isEmpty() && !p.name().equals(cur.name())) {
        throw new ApiError(409, "Could not update - name is immutable");
      }
      Map<String, String> config = Rules.mergeConfig(cur.config(), p.config());
      Map<String, Object> annotations = Rules.mergeAnnotations(cur.annotations(), p.annotations());
      String syslog = p.syslogUrl() == null ? cur.syslogUrl() : emptyToNull(p.syslogUrl());
      Rules.config(config);
      Rules.annotations(annotations);
      Rules.syslogUrl(syslog);
      if (config.equals(nonNull(cur.config())) && annotations.equals(nonNull(cur.annotations()))
          && Objects.equals(syslog, cur.syslogUrl())) {
        return cur;
      }
      // As in Fn, the shape is kept whatever the body says.
      App next = new App(cur.id(), cur.name(), frozen(config), frozen(annotations), syslog, cur.shape(),
          cur.createdAt(), later(cur.updatedAt()));
      apps.set(id, next);
      return next;
    });
    view.put(updated);
    return updated;
  }

  @Override
  public void deleteApp(String id) {
    withLock(apps, id, () -> {
      App cur = apps.get(id);
      if (cur == null) {
        throw new ApiError(404, "App not found");
      }
      // Children first: a crash part-way leaves the app in place for the client to retry.
      for (Trigger t : collect(triggers.values(), t -> t.appId().equals(id))) {
        dropTrigger(t);
      }
      for (Fn f : collect(fns.values(), f -> f.appId().equals(id))) {
        fns.delete(f.id());
        fnNames.remove(fnKey(f.appId(), f.name()), f.id());
        view.removeFn(f.id());
      }
      apps.delete(id);
      appNames.remove(cur.name(), id);
      return null;
    });
    view.removeApp(id);
  }

  // ---------------------------------------------------------------- fns

  /**
   * Creates a function. A non-empty image must be a bundle reference whose bundle {@code bundleHeld}
   * says this cluster holds (blocking calls are fine there); an empty one is allowed: the function
   * then has no code until its bundle is uploaded ({@code cleave deploy} creates, then uploads).
   */
  @Override
  public Fn createFn(FnPatch p, Predicate<BundleDigest> bundleHeld) {
    if (p.id() != null && !p.id().isEmpty()) {
      throw Rules.bad("ID cannot be provided for Fn creation");
    }
    if (p.appId() == null || p.appId().isEmpty()) {
      throw Rules.bad("Missing AppID on Fn");
    }
    Rules.fnName(p.name());
    String image = p.image() == null ? "" : p.image();
    if (!image.isEmpty()) {
      Rules.image(image, bundleHeld);
    }
    int memory = orDefault(p.memory(), Rules.DEFAULT_MEMORY);
    int timeout = orDefault(p.timeout(), Rules.DEFAULT_TIMEOUT);
    int idle = orDefault(p.idleTimeout(), Rules.DEFAULT_IDLE_TIMEOUT);
    int concurrency = orDefault(p.concurrency(), Rules.DEFAULT_CONCURRENCY);
    Rules.timeout(timeout);
    Rules.idleTimeout(idle);
    Rules.memory(memory);
    Rules.concurrency(concurrency);
    Map<String, Object> annotations = p.annotations() == null ? Map.of() : p.annotations();
    Rules.annotations(annotations);
    // As in Fn, a create stores config as given: {"a": ""} keeps the key with an empty value.
    Map<String, String> config = p.config() == null ? Map.of() : p.config();
    Rules.config(config);
    Instant now = now();
    Fn fn = new Fn(Ulid.next(), p.name(), p.appId(), image, memory, timeout, idle, concurrency, frozen(config),
        frozen(annotations), now, now);
    withLock(apps, p.appId(), () -> {
      if (apps.get(p.appId()) == null) {
        throw new ApiError(404, "App not found");
      }
      String key = fnKey(fn.appId(), fn.name());
      String existing = fnNames.get(key);
      if (existing != null && holds(fns.get(existing), f -> key.equals(fnKey(f.appId(), f.name())))) {
        throw new ApiError(409, "Fn with specified name already exists");
      }
      fnNames.set(key, fn.id());
      fns.set(fn.id(), fn);
      return null;
    });
    view.put(fn);
    return fn;
  }

  /**
   * Updates a function (merge-patch). A new image is checked as on create; an empty or absent one
   * keeps the current image, and an unchanged one is not checked again.
   */
  @Override
  public Fn updateFn(String id, FnPatch p, Predicate<BundleDigest> bundleHeld) {
    if (p.id() != null && !p.id().isEmpty() && !p.id().equals(id)) {
      throw Rules.bad("Fn ID in path does not match that in body");
    }
    Fn known = fns.get(id);
    if (known == null) {
      throw new ApiError(404, "Fn not found");
    }
    boolean newImage = p.image() != null && !p.image().isEmpty() && !p.image().equals(known.image());
    if (newImage) {
      Rules.image(p.image(), bundleHeld); // before the lock: it may ask the cluster
    }
    Fn updated = withLock(apps, known.appId(), () -> {
      Fn cur = fns.get(id);
      if (cur == null) {
        throw new ApiError(404, "Fn not found");
      }
      // As in Fn: name and app_id are not changed by an update; zero or absent means "keep".
      String image = p.image() == null || p.image().isEmpty() ? cur.image() : p.image();
      int memory = keep(p.memory(), cur.memory());
      int timeout = keep(p.timeout(), cur.timeout());
      int idle = keep(p.idleTimeout(), cur.idleTimeout());
      int concurrency = keep(p.concurrency(), cur.concurrency());
      Rules.timeout(timeout);
      Rules.idleTimeout(idle);
      Rules.memory(memory);
      Rules.concurrency(concurrency);
      Map<String, String> config = Rules.mergeConfig(cur.config(), p.config());
      Map<String, Object> annotations = Rules.mergeAnnotations(cur.annotations(), p.annotations());
      Rules.config(config);
      Rules.annotations(annotations);
      Fn next = new Fn(cur.id(), cur.name(), cur.appId(), image, memory, timeout, idle, concurrency, frozen(config),
          frozen(annotations), cur.createdAt(), cur.updatedAt());
      if (next.equals(withMaps(cur))) {
        return cur;
      }
      next = new Fn(next.id(), next.name(), next.appId(), next.image(), next.memory(), next.timeout(),
          next.idleTimeout(), next.concurrency(), next.config(), next.annotations(), next.createdAt(),
          later(cur.updatedAt()));
      fns.set(id, next);
      return next;
    });
    view.put(updated);
    return updated;
  }

  @Override
  public void deleteFn(String id) {
    Fn known = fns.get(id);
    if (known == null) {
      throw new ApiError(404, "Fn not found");
    }
    withLock(apps, known.appId(), () -> {
      Fn cur = fns.get(id);
      if (cur == null) {
        throw new ApiError(404, "Fn not found");
      }
      for (Trigger t : collect(triggers.values(), t -> t.fnId().equals(id))) {
        dropTrigger(t);
      }
      fns.delete(id);
      fnNames.remove(fnKey(cur.appId(), cur.name()), id);
      return null;
    });
    view.removeFn(id);
  }

  // ---------------------------------------------------------------- triggers

  @Override
  public Trigger createTrigger(TriggerPatch p) {
    if (p.id() != null && !p.id().isEmpty()) {
      throw Rules.bad("ID cannot be provided for Trigger creation");
    }
    if (p.createdAtGiven()) {
      throw Rules.bad("Trigger Created At Provided for Create");
    }
    if (p.updatedAtGiven()) {
      throw Rules.bad("Trigger Updated At Provided for Create");
    }
    if (p.appId() == null || p.appId().isEmpty()) {
      throw Rules.bad("Missing App ID on Trigger");
    }
    Rules.triggerName(p.name());
    if (p.fnId() == null || p.fnId().isEmpty()) {
      throw Rules.bad("Missing Fn ID on Trigger");
    }
    if (!"http".equals(p.type())) {
      throw Rules.bad("Trigger Type Not Supported");
    }
    Rules.triggerSource(p.source());
    Map<String, Object> annotations = p.annotations() == null ? Map.of() : p.annotations();
    Rules.annotations(annotations);
    Instant now = now();
    Trigger trigger = new Trigger(Ulid.next(), p.name(), p.appId(), p.fnId(), p.type(), p.source(),
        frozen(annotations), now, now);
    withLock(apps, p.appId(), () -> {
      if (apps.get(p.appId()) == null) {
        throw new ApiError(404, "App not found");
      }
      Fn fn = fns.get(p.fnId());
      if (fn == null) {
        throw new ApiError(404, "Fn not found");
      }
      if (!fn.appId().equals(p.appId())) {
        throw Rules.bad("Invalid Fn ID - not owned by specified app");
      }
      claimTriggerKeys(trigger, null);
      triggers.set(trigger.id(), trigger);
      return null;
    });
    view.put(trigger);
    return trigger;
  }

  @Override
  public Trigger updateTrigger(String id, TriggerPatch p) {
    if (p.id() != null && !p.id().isEmpty() && !p.id().equals(id)) {
      throw Rules.bad("ID in path does not match ID in body");
    }
    Trigger known = triggers.get(id);
    if (known == null) {
      throw new ApiError(404, "Trigger not found");
    }
    Trigger updated = withLock(apps, known.appId(), () -> {
      Trigger cur = triggers.get(id);
      if (cur == null) {
        throw new ApiError(404, "Trigger not found");
      }
      // As in Fn: name, fn_id and source may change; id, app_id, type and timestamps are kept.
      String name = blank(p.name()) ? cur.name() : p.name();
      String fnId = blank(p.fnId()) ? cur.fnId() : p.fnId();
      String source = blank(p.source()) ? cur.source() : p.source();
      Rules.triggerName(name);
      Rules.triggerSource(source);
      Map<String, Object> annotations = Rules.mergeAnnotations(cur.annotations(), p.annotations());
      Rules.annotations(annotations);
      if (!fnId.equals(cur.fnId())) {
        Fn fn = fns.get(fnId);
        if (fn == null) {
          throw new ApiError(404, "Fn not found");
        }
        if (!fn.appId().equals(cur.appId())) {
          throw Rules.bad("Invalid Fn ID - not owned by specified app");
        }
      }
      Trigger next = new Trigger(cur.id(), name, cur.appId(), fnId, cur.type(), source, frozen(annotations),
          cur.createdAt(), cur.updatedAt());
      if (next.equals(withMaps(cur))) {
        return cur;
      }
      next = new Trigger(next.id(), next.name(), next.appId(), next.fnId(), next.type(), next.source(),
          next.annotations(), next.createdAt(), later(cur.updatedAt()));
      claimTriggerKeys(next, cur);
      triggers.set(id, next);
      if (!nameKey(next).equals(nameKey(cur))) {
        triggerNames.remove(nameKey(cur), id);
      }
      if (!next.source().equals(cur.source())) {
        triggerSources.remove(sourceKey(cur), id);
      }
      return next;
    });
    view.put(updated);
    return updated;
  }

  @Override
  public void deleteTrigger(String id) {
    Trigger known = triggers.get(id);
    if (known == null) {
      throw new ApiError(404, "Trigger not found");
    }
    withLock(apps, known.appId(), () -> {
      Trigger cur = triggers.get(id);
      if (cur == null) {
        throw new ApiError(404, "Trigger not found");
      }
      dropTrigger(cur);
      return null;
    });
    view.removeTrigger(id);
  }

  /** Claims the name and source index entries of {@code t} (409 if another live trigger holds one). */
  private void claimTriggerKeys(Trigger t, Trigger previous) {
    String source = sourceKey(t);
    String name = nameKey(t);
    if (previous == null || !t.source().equals(previous.source())) {
      String holder = triggerSources.get(source);
      if (holder != null && !holder.equals(t.id()) && holds(triggers.get(holder), h -> sourceKey(h).equals(source))) {
        throw new ApiError(409, "Trigger with the same type and source exists on this app");
      }
    }
    if (previous == null || !name.equals(nameKey(previous))) {
      String holder = triggerNames.get(name);
      if (holder != null && !holder.equals(t.id()) && holds(triggers.get(holder), h -> nameKey(h).equals(name))) {
        throw new ApiError(409, "Trigger already exists");
      }
    }
    triggerSources.set(source, t.id());
    triggerNames.set(name, t.id());
  }

  private void dropTrigger(Trigger t) {
    triggers.delete(t.id());
    triggerNames.remove(nameKey(t), t.id());
    triggerSources.remove(sourceKey(t), t.id());
    view.removeTrigger(t.id());
  }

  // ---------------------------------------------------------------- helpers

  private static String fnKey(String appId, String name) {
    return appId + "/" + name;
  }

  /** Trigger names are unique per function, as in Fn. */
  private static String nameKey(Trigger t) {
    return t.appId() + "/" + t.fnId() + "/" + t.name();
  }

  private static String sourceKey(Trigger t) {
    return t.appId() + ":" + t.type() + ":" + t.source();
  }

  /**
   * True when an index entry is live: the entity it points at exists and still has that key.
   * Entries left by a crash between claiming a key and writing the entity are not live.
   */
  private static <T> boolean holds(T entity, java.util.function.Predicate<T> hasKey) {
    return entity != null && hasKey.test(entity);
  }

  private static <K, T> T withLock(IMap<K, ?> map, K key, Supplier<T> body) {
    map.lock(key, LOCK_LEASE_SECONDS, TimeUnit.SECONDS);
    try {
      return body.get();
    } finally {
      map.unlock(key);
    }
  }

  private static <T> List<T> collect(Iterable<T> all, java.util.function.Predicate<T> keep) {
    List<T> out = new ArrayList<>();
    for (T t : all) {
      if (keep.test(t)) {
        out.add(t);
      }
    }
    return out;
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  /** A later updated_at than {@code previous}, even within the same millisecond. */
  private static Instant later(Instant previous) {
    Instant now = now();
    return now.isAfter(previous) ? now : previous.plusMillis(1);
  }

  private static int orDefault(Integer v, int dflt) {
    return v == null || v == 0 ? dflt : v;
  }

  private static int keep(Integer v, int current) {
    return v == null || v == 0 ? current : v;
  }

  private static boolean blank(String s) {
    return s == null || s.isEmpty();
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static <V> Map<String, V> nonNull(Map<String, V> m) {
    return m == null ? Map.of() : m;
  }

  private static <V> Map<String, V> frozen(Map<String, V> m) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  private static Fn withMaps(Fn f) {
    return new Fn(f.id(), f.name(), f.appId(), f.image(), f.memory(), f.timeout(), f.idleTimeout(), f.concurrency(),
        frozen(nonNull(f.config())), frozen(nonNull(f.annotations())), f.createdAt(), f.updatedAt());
  }

  private static Trigger withMaps(Trigger t) {
    return new Trigger(t.id(), t.name(), t.appId(), t.fnId(), t.type(), t.source(), frozen(nonNull(t.annotations())),
        t.createdAt(), t.updatedAt());
  }

  /** Applies Hazelcast entry events (from any member) to the local view. */
  private static final class Feed<V> implements EntryAddedListener<String, V>, EntryUpdatedListener<String, V>,
      EntryRemovedListener<String, V>, EntryLoadedListener<String, V> {
    private final Consumer<V> put;
    private final Consumer<String> remove;

    Feed(Consumer<V> put, Consumer<String> remove) {
      this.put = put;
      this.remove = remove;
    }

    @Override
    public void entryAdded(EntryEvent<String, V> event) {
      put.accept(event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, V> event) {
      put.accept(event.getValue());
    }

    @Override
    public void entryLoaded(EntryEvent<String, V> event) {
      put.accept(event.getValue());
    }

    @Override
    public void entryRemoved(EntryEvent<String, V> event) {
      remove.accept(event.getKey());
    }
  }
}
