package io.cleave.registry;

import io.cleave.common.model.AppPatch;
import io.cleave.common.model.FnPatch;
import io.cleave.common.model.TriggerPatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.error.ApiError;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Trigger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the registry promises on its own: names stay unique under concurrent writes, and acknowledged writes are durable. */
class RegistryTest {
  private static final Predicate<BundleDigest> NO_BUNDLES = d -> false;

  private RegistryFixture fixture;

  @BeforeEach
  void open() {
    fixture = RegistryFixture.open();
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  private static AppPatch app(String name, Map<String, String> config) {
    return new AppPatch(null, name, config, null, null, null);
  }

  private static FnPatch fn(String appId, String name) {
    return new FnPatch(null, name, appId, null, null, null, null, null, null, null);
  }

  private static TriggerPatch trigger(String appId, String fnId, String name, String source) {
    return new TriggerPatch(null, name, appId, fnId, "http", source, null, false, false);
  }

  @Test
  void concurrentCreatesKeepNamesUnique() throws Exception {
    Registry registry = fixture.registry();
    List<Integer> apps = race(12, () -> registry.createApp(app("race", null)));
    assertEquals(1, apps.stream().filter(s -> s == 200).count(), apps.toString());
    assertEquals(11, apps.stream().filter(s -> s == 409).count(), apps.toString());
    String appId = registry.appByName("race").orElseThrow().id();

    List<Integer> fns = race(12, () -> registry.createFn(fn(appId, "same"), NO_BUNDLES));
    assertEquals(1, fns.stream().filter(s -> s == 200).count(), fns.toString());
    assertEquals(1, registry.listFns(appId, null, null, 100).items().size());
  }

  /** Runs {@code n} copies of {@code write} at once; the status each got (200, or its ApiError's). */
  private static List<Integer> race(int n, Callable<?> write) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        results.add(pool.submit(() -> {
          go.await();
          try {
            write.call();
            return 200;
          } catch (ApiError e) {
            return e.status();
          }
        }));
      }
      go.countDown();
      List<Integer> statuses = new ArrayList<>();
      for (Future<Integer> r : results) {
        statuses.add(r.get(60, TimeUnit.SECONDS));
      }
      return statuses;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void acknowledgedWritesAreBackAfterAReopen() {
    Registry registry = fixture.registry();
    App app = registry.createApp(app("kept", Map.of("A", "1")));
    app = registry.updateApp(app.id(), app(null, Map.of("B", "2")));
    Fn fn = registry.createFn(fn(app.id(), "f"), NO_BUNDLES);
    Trigger trigger = registry.createTrigger(trigger(app.id(), fn.id(), "t", "/go"));
    App gone = registry.createApp(app("gone", null));
    registry.deleteApp(gone.id());

    Registry reopened = fixture.reopen();
    assertEquals(app, reopened.app(app.id()).orElseThrow());
    assertEquals(Map.of("A", "1", "B", "2"), reopened.app(app.id()).orElseThrow().config());
    assertEquals(fn, reopened.fn(fn.id()).orElseThrow());
    assertEquals(trigger, reopened.trigger(trigger.id()).orElseThrow());
    assertEquals(fn.id(), reopened.route("kept", "/go").orElseThrow().fn().id());
    assertTrue(reopened.app(gone.id()).isEmpty(), "a delete is durable too");

    // The name claims came back with the data.
    assertEquals(409, assertThrows(ApiError.class, () -> reopened.createApp(app("kept", null))).status());
    assertEquals(409, assertThrows(ApiError.class, () -> reopened.createFn(fn(fn.appId(), "f"), NO_BUNDLES)).status());
    assertEquals(409, assertThrows(ApiError.class,
        () -> reopened.createTrigger(trigger(fn.appId(), fn.id(), "u", "/go"))).status());
    assertEquals("gone", reopened.createApp(app("gone", null)).name());
  }
}
