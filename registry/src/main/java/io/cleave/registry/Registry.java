package io.cleave.registry;

import io.cleave.common.model.AppPatch;
import io.cleave.common.model.FnPatch;
import io.cleave.common.model.TriggerPatch;
import io.cleave.common.flow.Flow;
import io.cleave.common.flow.FlowPatch;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryLoadedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.cleave.common.access.ApiKey;
import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.json.Json;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Trigger;
import io.cleave.registry.bundle.BundleSizes;
import io.cleave.registry.cluster.ClusterMember;
import io.cleave.registry.cluster.HazelcastMembership;
import io.cleave.registry.cluster.Membership;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The apps / fns / triggers / flows registry. Hazelcast IMaps hold the shared state; each map is written
 * through to RocksDB (synced) before a write returns, and loaded eagerly on start. Uniqueness of
 * names and trigger sources is kept by index maps claimed under a cluster-wide lock on the app
 * (or, for app names, on the name), with Fn's scopes: app names are unique, function names per
 * app, trigger names per function, trigger (type, source) per app. Reads come from a local
 * {@link RegistryView}. API keys live beside them ({@link #apiKeys()}).
 *
 * <p>Write methods block (locks, synced disk writes): call them from worker threads, never from an
 * event loop. Read methods are local and non-blocking.
 */
public final class Registry implements AppRegistry, FnRegistry, TriggerRegistry, FlowRegistry, AutoCloseable {
  static final String APPS = "apps";
  static final String FNS = "fns";
  static final String TRIGGERS = "triggers";
  static final String APP_NAMES = "app-names";
  static final String FN_NAMES = "fn-names";
  static final String TRIGGER_NAMES = "trigger-names";
  static final String TRIGGER_SOURCES = "trigger-sources";
  static final String FLOWS = "flows";
  static final String FLOW_NAMES = "flow-names";
  static final String API_KEYS = "api-keys";
  static final String MEMBER_TOKEN = "member-token";
  static final List<String> MAPS = List.of(APPS, FNS, TRIGGERS, APP_NAMES, FN_NAMES, TRIGGER_NAMES, TRIGGER_SOURCES,
      FLOWS, FLOW_NAMES, API_KEYS, MEMBER_TOKEN);

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
  private final AppWrites appWrites;
  private final FnWrites fnWrites;
  private final TriggerWrites triggerWrites;
  private final FlowView flowView = new FlowView();
  private final FlowWrites flowWrites;
  private final RegistryKeys apiKeys;

  private Registry(RegistryDb db, ClusterMember member, Map<String, RocksMapStore<?>> stores, AppBundleQuota quota) {
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
    IMap<String, Flow> flows = hz.getMap(FLOWS);
    flows.addEntryListener(new Feed<Flow>(flowView::put, flowView::remove), true);
    apps.values().forEach(view::put);
    fns.values().forEach(view::put);
    triggers.values().forEach(view::put);
    flows.values().forEach(flowView::put);
    RegistryMirror mirror = new RegistryMirror(hz, db);
    boolean joined = mirror.joinedOthers();
    for (String name : MAPS) {
      follow(mirror, hz.getMap(name), stores.get(name), joined);
    }
    RegistryMaps maps = new RegistryMaps(apps, fns, triggers, appNames, fnNames, triggerNames, triggerSources, view);
    this.triggerWrites = new TriggerWrites(maps);
    this.fnWrites = new FnWrites(maps, triggerWrites, quota);
    this.appWrites = new AppWrites(maps, triggerWrites);
    this.flowWrites = new FlowWrites(apps, flows, hz.getMap(FLOW_NAMES), view, flowView);
    triggerWrites.reindexNames();
    this.apiKeys = new RegistryKeys(hz.getMap(API_KEYS), hz.getMap(MEMBER_TOKEN), view);
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
   * Hazelcast member, loading everything stored before it returns. {@code bundleSizes} weighs the
   * bundles an app's functions use against its quota.
   */
  public static Registry open(ServerConfig cfg, BundleSizes bundleSizes) {
    RegistryDb db = new RegistryDb(cfg.dataDir().resolve("registry"), MAPS);
    try {
      Map<String, RocksMapStore<?>> stores = new LinkedHashMap<>();
      stores.put(APPS, new RocksMapStore<App>(db, APPS, Json::toBytes, b -> Json.fromBytes(b, App.class)));
      stores.put(FNS, new RocksMapStore<Fn>(db, FNS, Json::toBytes, b -> Json.fromBytes(b, Fn.class)));
      stores.put(TRIGGERS, new RocksMapStore<Trigger>(db, TRIGGERS, Json::toBytes, b -> Json.fromBytes(b, Trigger.class)));
      stores.put(FLOWS, new RocksMapStore<Flow>(db, FLOWS, Json::toBytes, b -> Json.fromBytes(b, Flow.class)));
      stores.put(API_KEYS, new RocksMapStore<ApiKey>(db, API_KEYS, Json::toBytes, b -> Json.fromBytes(b, ApiKey.class)));
      for (String index : List.of(APP_NAMES, FN_NAMES, TRIGGER_NAMES, TRIGGER_SOURCES, FLOW_NAMES, MEMBER_TOKEN)) {
        stores.put(index, new RocksMapStore<String>(db, index, s -> s.getBytes(StandardCharsets.UTF_8),
            b -> new String(b, StandardCharsets.UTF_8)));
      }
      ClusterMember member = ClusterMember.start(cfg, new LinkedHashMap<>(stores),
          List.of(App.class, Fn.class, Trigger.class, Flow.class, ApiKey.class));
      try {
        return new Registry(db, member, stores,
            new AppBundleQuota(cfg.bundleStorage().appQuotaBytes(), bundleSizes));
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

  /** The bundles this member's view of the registry has functions using. */
  public Set<BundleDigest> referencedBundles() {
    Set<BundleDigest> used = new HashSet<>();
    for (Fn f : view.allFns()) {
      BundleDigest.fromImage(f.image()).ifPresent(used::add);
    }
    return used;
  }

  /** The API keys, replicated and kept as apps are. */
  public KeyRegistry apiKeys() {
    return apiKeys;
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

  // ---------------------------------------------------------------- writes (blocking)

  @Override
  public App createApp(AppPatch p) {
    return appWrites.createApp(p);
  }

  @Override
  public App updateApp(String id, AppPatch p) {
    return appWrites.updateApp(id, p);
  }

  @Override
  public void deleteApp(String id) {
    // The app's flows first, as its other children: a crash part-way leaves the app for a retry.
    if (view.app(id).isPresent()) {
      flowWrites.deleteFlowsOf(id);
    }
    appWrites.deleteApp(id);
  }

  @Override
  public Fn createFn(FnPatch p, Predicate<BundleDigest> bundleHeld) {
    return fnWrites.createFn(p, bundleHeld);
  }

  @Override
  public Fn updateFn(String id, FnPatch p, Predicate<BundleDigest> bundleHeld) {
    return fnWrites.updateFn(id, p, bundleHeld);
  }

  @Override
  public void deleteFn(String id) {
    fnWrites.deleteFn(id);
  }

  @Override
  public Trigger createTrigger(TriggerPatch p) {
    return triggerWrites.createTrigger(p);
  }

  @Override
  public Trigger updateTrigger(String id, TriggerPatch p) {
    return triggerWrites.updateTrigger(id, p);
  }

  @Override
  public void deleteTrigger(String id) {
    triggerWrites.deleteTrigger(id);
  }

  @Override
  public Optional<Flow> flow(String id) {
    return flowView.flow(id);
  }

  @Override
  public Optional<Flow> flowByName(String appId, String name) {
    return flowView.byName(appId, name);
  }

  @Override
  public Page<Flow> listFlows(String appId, String name, String cursor, int perPage) {
    return flowView.list(appId, name, cursor, perPage);
  }

  @Override
  public Flow createFlow(FlowPatch p, Optional<String> forkUnavailable) {
    return flowWrites.createFlow(p, forkUnavailable);
  }

  @Override
  public Flow updateFlow(String id, FlowPatch p, Optional<String> forkUnavailable) {
    return flowWrites.updateFlow(id, p, forkUnavailable);
  }

  @Override
  public void deleteFlow(String id) {
    flowWrites.deleteFlow(id);
  }

  /** Applies Hazelcast entry events (from any member) to the local view. */
  static final class Feed<V> implements EntryAddedListener<String, V>, EntryUpdatedListener<String, V>,
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
