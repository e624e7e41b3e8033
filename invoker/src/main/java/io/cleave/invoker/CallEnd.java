package io.cleave.invoker;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.json.Json;
import io.cleave.common.model.StartMode;
import io.cleave.forkd.api.InstanceStatus;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * What became of one call: the caller's answer or error, the activation's status and message, and
 * whether the instance that ran it must go.
 */
record CallEnd(String status, int httpStatus, CallResult answer, ApiError error, String message, long responseSize,
    boolean retire) {

  /** The instance's process ended under the call (crashed or killed for memory): not the function's own error. */
  boolean crashed() {
    return status.equals("crashed") || status.equals("oom");
  }

  static CallEnd failure(String status, ApiError error) {
    return new CallEnd(status, error.status(), null, error, error.getMessage(), 0, true);
  }

  /**
   * Reads the instance's outcome; a broken connection asks the host ({@code status}) whether the
   * instance ran out of memory or crashed.
   */
  static Future<CallEnd> of(InstanceClient.Outcome outcome, StartMode mode, int timeoutSeconds, int memoryMb,
      Supplier<Future<InstanceStatus>> status) {
    if (outcome instanceof InstanceClient.Answered a && a.status() != 504) {
      boolean ok = a.status() < 400;
      return Future.succeededFuture(new CallEnd(ok ? "success" : "error", a.status(),
          new CallResult(a.status(), a.headers(), a.body(), mode), null, ok ? null : errorMessage(a.body()),
          a.body().length(), a.status() == 502));
    }
    if (outcome instanceof InstanceClient.Answered || outcome instanceof InstanceClient.TimedOut) {
      return Future.succeededFuture(failure("timeout",
          new ApiError(504, "function timed out after " + timeoutSeconds + " s")));
    }
    if (outcome instanceof InstanceClient.TooLarge t) {
      return Future.succeededFuture(failure("error",
          new ApiError(502, "function answer is larger than " + t.limit() + " bytes")));
    }
    InstanceClient.Broken b = (InstanceClient.Broken) outcome;
    return status.get()
        .map(s -> s.oomKilled()
            ? failure("oom", new ApiError(502, "function ran out of memory (limit " + memoryMb + " MB)"))
            : failure("crashed", new ApiError(502, crashed(s, b.reason()))))
        .otherwise(e -> failure("crashed", new ApiError(502, "function crashed: " + b.reason())));
  }

  private static String crashed(InstanceStatus s, String reason) {
    if (s.exitReason() != null) {
      return "function crashed: " + s.exitReason();
    }
    if (s.signal() != null && s.signal() != 0) {
      return "function crashed: killed by signal " + s.signal();
    }
    if (s.exitCode() != null) {
      return "function crashed: process exited with code " + s.exitCode();
    }
    return "function crashed: " + reason;
  }

  private static String errorMessage(Buffer body) {
    try {
      JsonNode n = Json.MAPPER.readTree(body.getBytes());
      if (n != null && n.hasNonNull("message")) {
        return n.get("message").asText();
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not JSON: keep the raw text below
    }
    String raw = body.toString(StandardCharsets.UTF_8);
    return raw.length() > 1024 ? raw.substring(0, 1024) : raw;
  }
}
