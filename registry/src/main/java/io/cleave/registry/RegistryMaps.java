package io.cleave.registry;

import com.hazelcast.map.IMap;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Trigger;

/** The registry's Hazelcast maps (entities and their name and source indexes) and this member's view of them. */
record RegistryMaps(
    IMap<String, App> apps,
    IMap<String, Fn> fns,
    IMap<String, Trigger> triggers,
    IMap<String, String> appNames,
    IMap<String, String> fnNames,
    IMap<String, String> triggerNames,
    IMap<String, String> triggerSources,
    RegistryView view) {}
