package io.cleave.common.model;

import java.time.Instant;
import java.util.Map;

/** An HTTP trigger binding {@code /t/{app}/{source}} to a function (Fn v2 "trigger"). */
public record Trigger(
    String id,
    String name,
    String appId,
    String fnId,
    String type,
    String source,
    Map<String, Object> annotations,
    Instant createdAt,
    Instant updatedAt) {}
