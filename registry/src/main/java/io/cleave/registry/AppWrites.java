package io.cleave.registry;

import io.cleave.common.error.ApiError;
import io.cleave.common.id.Ulid;
import io.cleave.common.model.App;
import io.cleave.common.model.AppPatch;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Rules;
import io.cleave.common.model.Trigger;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import static io.cleave.registry.RegistryValues.*;

/** Writes of apps: create, update, delete (which takes the app's functions and triggers with it). Blocking. */
final class AppWrites extends RegistryWrites {
  private final TriggerWrites triggerWrites;

  AppWrites(RegistryMaps maps, TriggerWrites triggerWrites) {
    super(maps);
    this.triggerWrites = triggerWrites;
  }

  App createApp(AppPatch p) {
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

  App updateApp(String id, AppPatch p) {
    if (p.id() != null && !p.id().isEmpty() && !p.id().equals(id)) {
      throw Rules.bad("App ID in path does not match ID in body");
    }
    App updated = withLock(apps, id, () -> {
      App cur = found(apps.get(id), "App not found");
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

  void deleteApp(String id) {
    withLock(apps, id, () -> {
      App cur = found(apps.get(id), "App not found");
      // Children first: a crash part-way leaves the app in place for the client to retry.
      for (Trigger t : collect(triggers.values(), t -> t.appId().equals(id))) {
        triggerWrites.drop(t);
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

}
