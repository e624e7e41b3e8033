package io.cleave.common.model;

import java.time.Instant;
import java.util.Map;

/**
 * An application: a named group of functions sharing configuration (Fn v2 "app"). {@code shape}
 * is Fn's app shape ({@code GENERIC_X86}, {@code GENERIC_ARM}, {@code GENERIC_X86_ARM}), or null
 * when none was given; it is set on create and never changes.
 */
public record App(
    String id,
    String name,
    Map<String, String> config,
    Map<String, Object> annotations,
    String syslogUrl,
    String shape,
    Instant createdAt,
    Instant updatedAt) {

  /** An app without a shape. */
  public App(String id, String name, Map<String, String> config, Map<String, Object> annotations, String syslogUrl,
      Instant createdAt, Instant updatedAt) {
    this(id, name, config, annotations, syslogUrl, null, createdAt, updatedAt);
  }
}
