package io.cleave.registry;

import io.cleave.common.flow.Flow;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * This member's in-memory copy of the flows, fed like {@link RegistryView}: by its own writes and
 * by Hazelcast events, a late event never replacing newer data nor reviving a deleted flow.
 */
final class FlowView {
  private final Map<String, Flow> flows = new ConcurrentHashMap<>();
  private final Map<String, ConcurrentSkipListMap<String, Flow>> byApp = new ConcurrentHashMap<>();
  private final Map<String, Boolean> deleted = new ConcurrentHashMap<>();

  synchronized void put(Flow f) {
    Flow cur = flows.get(f.id());
    if (deleted.containsKey(f.id()) || cur != null && !f.updatedAt().isAfter(cur.updatedAt())) {
      return;
    }
    flows.put(f.id(), f);
    byApp.computeIfAbsent(f.appId(), k -> new ConcurrentSkipListMap<>()).put(f.name(), f);
  }

  synchronized void remove(String id) {
    deleted.put(id, true);
    Flow cur = flows.remove(id);
    if (cur != null) {
      byApp.getOrDefault(cur.appId(), new ConcurrentSkipListMap<>()).remove(cur.name(), cur);
    }
  }

  Optional<Flow> flow(String id) {
    return Optional.ofNullable(flows.get(id));
  }

  Optional<Flow> byName(String appId, String name) {
    var m = byApp.get(appId);
    return m == null ? Optional.empty() : Optional.ofNullable(m.get(name));
  }

  List<Flow> ofApp(String appId) {
    var m = byApp.get(appId);
    return m == null ? List.of() : List.copyOf(m.values());
  }

  Page<Flow> list(String appId, String name, String cursor, int perPage) {
    var m = byApp.get(appId);
    return m == null ? new Page<>(List.of(), null) : RegistryView.page(m, name, cursor, perPage, f -> true);
  }
}
