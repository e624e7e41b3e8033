package io.cleave.registry;

import com.hazelcast.map.IMap;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Trigger;

/** What the writes of apps, functions and triggers work on: the registry's maps and this member's view. */
abstract class RegistryWrites {
  final IMap<String, App> apps;
  final IMap<String, Fn> fns;
  final IMap<String, Trigger> triggers;
  final IMap<String, String> appNames;
  final IMap<String, String> fnNames;
  final IMap<String, String> triggerNames;
  final IMap<String, String> triggerSources;
  final RegistryView view;

  RegistryWrites(RegistryMaps maps) {
    this.apps = maps.apps();
    this.fns = maps.fns();
    this.triggers = maps.triggers();
    this.appNames = maps.appNames();
    this.fnNames = maps.fnNames();
    this.triggerNames = maps.triggerNames();
    this.triggerSources = maps.triggerSources();
    this.view = maps.view();
  }
}
