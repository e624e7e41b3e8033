package io.cleave.common.invoke;

import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One call as the gateway hands it to an invoker. {@code headers} are exactly the headers the
 * function's FDK receives (the gateway has already applied Fn's trigger translation: Fn-Intent,
 * Fn-Http-Method, Fn-Http-Request-Url, Fn-Http-H-*); the invoker adds Fn-Call-Id and Fn-Deadline.
 */
public record Call(
    String id,
    App app,
    Fn fn,
    String method,
    String requestUrl,
    Map<String, List<String>> headers,
    Buffer body,
    Instant receivedAt) {}
