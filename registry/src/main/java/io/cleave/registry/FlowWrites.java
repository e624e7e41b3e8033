package io.cleave.registry;

import static io.cleave.registry.RegistryValues.found;
import static io.cleave.registry.RegistryValues.holds;
import static io.cleave.registry.RegistryValues.later;
import static io.cleave.registry.RegistryValues.now;
import static io.cleave.registry.RegistryValues.withLock;

import com.hazelcast.map.IMap;
import io.cleave.common.error.ApiError;
import io.cleave.common.flow.Flow;
import io.cleave.common.flow.FlowPatch;
import io.cleave.common.flow.FlowRules;
import io.cleave.common.flow.FlowStep;
import io.cleave.common.id.Ulid;
import io.cleave.common.model.App;
import io.cleave.common.model.Rules;
import java.util.List;
import java.util.Optional;

/**
 * Writes of flows: create, update (the steps), delete. Under the app's lock, as function writes,
 * so a flow is checked against the app's functions as they are. Blocking.
 */
final class FlowWrites {
  private final IMap<String, App> apps;
  private final IMap<String, Flow> flows;
  private final IMap<String, String> flowNames;
  private final RegistryView registry;
  private final FlowView view;

  FlowWrites(IMap<String, App> apps, IMap<String, Flow> flows, IMap<String, String> flowNames, RegistryView registry,
      FlowView view) {
    this.apps = apps;
    this.flows = flows;
    this.flowNames = flowNames;
    this.registry = registry;
    this.view = view;
  }

  Flow createFlow(FlowPatch p, Optional<String> forkUnavailable) {
    if (p.id() != null && !p.id().isEmpty()) {
      throw Rules.bad("ID cannot be provided for flow creation");
    }
    if (p.appId() == null || p.appId().isEmpty()) {
      throw Rules.bad("Missing app_id on flow");
    }
    FlowRules.flowName(p.name());
    Flow created = withLock(apps, p.appId(), () -> {
      App app = found(apps.get(p.appId()), "App not found");
      List<FlowStep> steps = checked(app, p.steps(), forkUnavailable);
      String key = key(app.id(), p.name());
      String existing = flowNames.get(key);
      if (existing != null && holds(flows.get(existing), f -> key.equals(key(f.appId(), f.name())))) {
        throw new ApiError(409, "Flow with specified name already exists");
      }
      var t = now();
      Flow flow = new Flow(Ulid.next(), app.id(), p.name(), steps, t, t);
      flowNames.set(key, flow.id());
      flows.set(flow.id(), flow);
      return flow;
    });
    view.put(created);
    return created;
  }

  Flow updateFlow(String id, FlowPatch p, Optional<String> forkUnavailable) {
    if (p.id() != null && !p.id().isEmpty() && !p.id().equals(id)) {
      throw Rules.bad("Flow ID in path does not match that in body");
    }
    Flow known = found(flows.get(id), "Flow not found");
    Flow updated = withLock(apps, known.appId(), () -> {
      Flow cur = found(flows.get(id), "Flow not found");
      if (p.name() != null && !p.name().isEmpty() && !p.name().equals(cur.name())) {
        throw new ApiError(409, "Could not update - name is immutable");
      }
      if (p.steps() == null) {
        return cur;
      }
      App app = found(apps.get(cur.appId()), "App not found");
      Flow next = new Flow(cur.id(), cur.appId(), cur.name(), checked(app, p.steps(), forkUnavailable),
          cur.createdAt(), later(cur.updatedAt()));
      flows.set(id, next);
      return next;
    });
    view.put(updated);
    return updated;
  }

  void deleteFlow(String id) {
    Flow known = found(flows.get(id), "Flow not found");
    withLock(apps, known.appId(), () -> {
      Flow cur = found(flows.get(id), "Flow not found");
      drop(cur);
      return null;
    });
  }

  /** Deletes the app's flows, before the app itself goes. */
  void deleteFlowsOf(String appId) {
    withLock(apps, appId, () -> {
      for (Flow f : view.ofApp(appId)) {
        drop(f);
      }
      return null;
    });
  }

  private void drop(Flow f) {
    flows.delete(f.id());
    flowNames.remove(key(f.appId(), f.name()), f.id());
    view.remove(f.id());
  }

  private List<FlowStep> checked(App app, List<FlowStep> steps, Optional<String> forkUnavailable) {
    return FlowRules.steps(steps, app.name(), fn -> registry.listFns(app.id(), fn, null, 1).items().stream()
        .anyMatch(f -> f.name().equals(fn)), forkUnavailable);
  }

  private static String key(String appId, String name) {
    return appId + "/" + name;
  }
}
