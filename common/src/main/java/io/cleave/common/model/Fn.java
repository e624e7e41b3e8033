package io.cleave.common.model;

import java.time.Instant;
import java.util.Map;

/**
 * A function (Fn v2 "fn"). {@code image} holds the code bundle reference {@code cleave/bundle:sha256-<hex>}
 * (empty until the code is uploaded);
 * memory is in MB, timeouts in seconds. {@code concurrency} (calls per instance) is Cleave's addition.
 */
public record Fn(
    String id,
    String name,
    String appId,
    String image,
    int memory,
    int timeout,
    int idleTimeout,
    int concurrency,
    Map<String, String> config,
    Map<String, Object> annotations,
    Instant createdAt,
    Instant updatedAt) {}
