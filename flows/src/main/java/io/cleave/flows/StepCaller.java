package io.cleave.flows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.flows.ForkedStepStarter.KeptInstance;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Makes one attempt of one step call: the function's call (through the invoker, or the fork port
 * for fork edges), bounded by the step's timeout, and its answer read as the step's result.
 */
final class StepCaller {
  private static final int ERROR_TEXT_LIMIT = 300;

  private final Vertx vertx;
  private final FunctionInvoker invoker;
  private final ForkedStepStarter forks;

  StepCaller(Vertx vertx, FunctionInvoker invoker, ForkedStepStarter forks) {
    this.vertx = vertx;
    this.invoker = invoker;
    this.forks = forks;
  }

  /**
   * What an attempt came to: the result (a success) or why it failed, how its instance started,
   * and the instance kept for fork consumers (null unless asked).
   */
  record Outcome(JsonNode output, String error, String startMode, KeptInstance kept) {
    boolean succeeded() {
      return error == null;
    }
  }

  /**
   * The function's call: its input as a JSON body, the run, step and item in {@code Cleave-Flow-*}
   * headers, and {@code activationId} as its call id (its activation record's id).
   */
  static Call call(String activationId, App app, Fn fn, String runId, String step, int item, JsonNode input) {
    Map<String, List<String>> headers = Map.of(
        "Content-Type", List.of("application/json"),
        "Cleave-Flow-Run", List.of(runId),
        "Cleave-Flow-Step", List.of(step),
        "Cleave-Flow-Item", List.of(Integer.toString(item)));
    return new Call(activationId, app, fn, "POST", "/cleave/v1/runs/" + runId, headers,
        StepInputs.body(input), Instant.now());
  }

  /**
   * Runs the attempt: in a kept instance when {@code keepFor} is not null (the fork consumers to
   * fork ahead for, maybe none), in a fork of a kept one for {@link StatePassing.Fork} (keeping
   * {@code moreAfter} children forked ahead for the step's calls to come), else through the
   * invoker. A step timeout ends it there (the function's call is let run out, its answer dropped).
   */
  Future<Outcome> attempt(Call call, StatePassing passing, List<ForkedStepStarter.ConsumerAhead> keepFor,
      int moreAfter, Integer timeoutSeconds) {
    Promise<Outcome> done = Promise.promise();
    long timer = timeoutSeconds == null ? -1 : vertx.setTimer(timeoutSeconds * 1000L,
        t -> done.tryComplete(new Outcome(null, "timed out after " + timeoutSeconds + " s (the step's timeout)",
            null, null)));
    Future<Outcome> running;
    if (passing instanceof StatePassing.Fork fork) {
      running = forks.callForked(call, fork.from(), moreAfter, fork.copied()).map(r -> outcome(r, null));
    } else if (keepFor != null) {
      running = forks.callKept(call, keepFor).map(k -> outcome(k.result(), k.kept()));
    } else {
      running = invoker.call(call).map(r -> outcome(r, null));
    }
    running.onComplete(ar -> {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      boolean mine = done.tryComplete(ar.succeeded() ? ar.result()
          : new Outcome(null, ar.cause().getMessage() == null ? ar.cause().toString() : ar.cause().getMessage(),
              null, null));
      if (!mine && ar.succeeded() && ar.result().kept() != null) {
        forks.release(ar.result().kept()); // came after the timeout: nobody will fork from it
      }
    });
    return done.future();
  }

  private static Outcome outcome(CallResult r, KeptInstance kept) {
    String mode = r.startMode() == null ? null : r.startMode().wireName();
    byte[] body = r.body() == null ? new byte[0] : r.body().getBytes();
    if (r.status() != 200) {
      String text = new String(body, StandardCharsets.UTF_8).strip();
      if (text.length() > ERROR_TEXT_LIMIT) {
        text = text.substring(0, ERROR_TEXT_LIMIT) + "...";
      }
      return new Outcome(null, "function answered " + r.status() + (text.isEmpty() ? "" : ": " + text), mode, kept);
    }
    return new Outcome(result(body), null, mode, kept);
  }

  /** The step's result: the answer as JSON, or as a JSON string when it is not JSON; empty is null. */
  static JsonNode result(byte[] body) {
    if (body.length == 0) {
      return NullNode.getInstance();
    }
    try {
      JsonNode node = RunJson.MAPPER.readTree(body);
      return node == null ? NullNode.getInstance() : node;
    } catch (IOException e) {
      return TextNode.valueOf(new String(body, StandardCharsets.UTF_8));
    }
  }
}
