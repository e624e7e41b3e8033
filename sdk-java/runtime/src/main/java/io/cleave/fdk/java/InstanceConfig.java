package io.cleave.fdk.java;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** An instance's configuration, as RuntimeContext shows it: its environment minus the runtime's own variables. */
final class InstanceConfig {
  // Per-call and transport variables of Fn's formats, never configuration (as in fdk-java).
  private static final Set<String> NOT_CONFIG = Set.of("fn_path", "fn_method", "fn_request_url", "fn_format",
      "content-length", "fn_call_id", "fn_listener");

  private InstanceConfig() {}

  static Map<String, String> fromEnv(Map<String, String> env) {
    Map<String, String> config = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : env.entrySet()) {
      String lower = e.getKey().toLowerCase();
      if (!lower.startsWith("header_") && !lower.startsWith("cleave_") && !NOT_CONFIG.contains(lower)) {
        config.put(e.getKey(), e.getValue());
      }
    }
    return config;
  }
}
