package io.cleave.common.model;

import java.time.Instant;
import java.util.Map;

/** An application: a named group of functions sharing configuration (Fn v2 "app"). */
public record App(
    String id,
    String name,
    Map<String, String> config,
    Map<String, Object> annotations,
    String syslogUrl,
    Instant createdAt,
    Instant updatedAt) {}
