package io.cleave.registry;

import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.error.ApiError;
import io.cleave.common.id.Ulid;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.FnPatch;
import io.cleave.common.model.Rules;
import io.cleave.common.model.Trigger;
import java.time.Instant;
import java.util.Map;
import java.util.function.Predicate;
import static io.cleave.registry.RegistryValues.*;

/** Writes of functions: create, update, delete (which takes the function's triggers with it). Blocking. */
final class FnWrites extends RegistryWrites {
  private final TriggerWrites triggerWrites;
  private final AppBundleQuota quota;

  FnWrites(RegistryMaps maps, TriggerWrites triggerWrites, AppBundleQuota quota) {
    super(maps);
    this.triggerWrites = triggerWrites;
    this.quota = quota;
  }

  /**
   * Creates a function. A non-empty image must be a bundle reference whose bundle {@code bundleHeld}
   * says this cluster holds (blocking calls are fine there) and fit the app's bundle quota; an
   * empty one is allowed: the function
   * then has no code until its bundle is uploaded ({@code cleave deploy} creates, then uploads).
   */
  Fn createFn(FnPatch p, Predicate<BundleDigest> bundleHeld) {
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
    Rules.fnNetwork(annotations);
    // As in Fn, a create stores config as given: {"a": ""} keeps the key with an empty value.
    Map<String, String> config = p.config() == null ? Map.of() : p.config();
    Rules.config(config);
    Instant now = now();
    Fn fn = new Fn(Ulid.next(), p.name(), p.appId(), image, memory, timeout, idle, concurrency, frozen(config),
        frozen(annotations), now, now);
    withLock(apps, p.appId(), () -> {
      App app = apps.get(p.appId());
      if (app == null) {
        throw new ApiError(404, "App not found");
      }
      if (!image.isEmpty()) {
        quota.check(app.name(), view.fnsOfApp(app.id()), null, image);
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
  Fn updateFn(String id, FnPatch p, Predicate<BundleDigest> bundleHeld) {
    if (p.id() != null && !p.id().isEmpty() && !p.id().equals(id)) {
      throw Rules.bad("Fn ID in path does not match that in body");
    }
    Fn known = found(fns.get(id), "Fn not found");
    boolean newImage = p.image() != null && !p.image().isEmpty() && !p.image().equals(known.image());
    if (newImage) {
      Rules.image(p.image(), bundleHeld); // before the lock: it may ask the cluster
    }
    Fn updated = withLock(apps, known.appId(), () -> {
      Fn cur = found(fns.get(id), "Fn not found");
      // As in Fn: name and app_id are not changed by an update; zero or absent means "keep".
      String image = p.image() == null || p.image().isEmpty() ? cur.image() : p.image();
      if (!image.equals(cur.image())) {
        quota.check(found(apps.get(cur.appId()), "App not found").name(), view.fnsOfApp(cur.appId()), id, image);
      }
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
      Rules.fnNetwork(annotations);
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

  void deleteFn(String id) {
    Fn known = found(fns.get(id), "Fn not found");
    withLock(apps, known.appId(), () -> {
      Fn cur = found(fns.get(id), "Fn not found");
      for (Trigger t : collect(triggers.values(), t -> t.fnId().equals(id))) {
        triggerWrites.drop(t);
      }
      fns.delete(id);
      fnNames.remove(fnKey(cur.appId(), cur.name()), id);
      return null;
    });
    view.removeFn(id);
  }

}
