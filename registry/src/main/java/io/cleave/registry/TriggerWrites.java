package io.cleave.registry;

import io.cleave.common.error.ApiError;
import io.cleave.common.id.Ulid;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Rules;
import io.cleave.common.model.Trigger;
import io.cleave.common.model.TriggerPatch;
import java.time.Instant;
import java.util.Map;
import static io.cleave.registry.RegistryValues.*;

/** Writes of triggers: create, update, delete, and the name and source indexes that keep them unique. Blocking. */
final class TriggerWrites extends RegistryWrites {

  TriggerWrites(RegistryMaps maps) {
    super(maps);
  }

  /**
   * Trigger names were once unique per app (index key {@code <app>/<name>}); they are unique per
   * function now, as in Fn ({@code <app>/<fn>/<name>}). Claims every stored trigger's key in the
   * current form and drops the old one, so data written before keeps its uniqueness. Idempotent.
   */
  void reindexNames() {
    for (Trigger t : triggers.values()) {
      triggerNames.putIfAbsent(nameKey(t), t.id());
      triggerNames.remove(t.appId() + "/" + t.name(), t.id());
    }
  }

  Trigger createTrigger(TriggerPatch p) {
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

  Trigger updateTrigger(String id, TriggerPatch p) {
    if (p.id() != null && !p.id().isEmpty() && !p.id().equals(id)) {
      throw Rules.bad("ID in path does not match ID in body");
    }
    Trigger known = found(triggers.get(id), "Trigger not found");
    Trigger updated = withLock(apps, known.appId(), () -> {
      Trigger cur = found(triggers.get(id), "Trigger not found");
      // As in Fn: name, fn_id and source may change; id, app_id, type and timestamps are kept.
      String name = blank(p.name()) ? cur.name() : p.name();
      String fnId = blank(p.fnId()) ? cur.fnId() : p.fnId();
      String source = blank(p.source()) ? cur.source() : p.source();
      Rules.triggerName(name);
      Rules.triggerSource(source);
      Map<String, Object> annotations = Rules.mergeAnnotations(cur.annotations(), p.annotations());
      Rules.annotations(annotations);
      if (!fnId.equals(cur.fnId())) {
        Fn fn = found(fns.get(fnId), "Fn not found");
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

  void deleteTrigger(String id) {
    Trigger known = found(triggers.get(id), "Trigger not found");
    withLock(apps, known.appId(), () -> {
      Trigger cur = found(triggers.get(id), "Trigger not found");
      drop(cur);
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

  void drop(Trigger t) {
    triggers.delete(t.id());
    triggerNames.remove(nameKey(t), t.id());
    triggerSources.remove(sourceKey(t), t.id());
    view.removeTrigger(t.id());
  }

}
