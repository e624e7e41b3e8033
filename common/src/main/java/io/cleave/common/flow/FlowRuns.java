package io.cleave.common.flow;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/**
 * The gateway's way to the flow engine. Every future completes on a Vert.x context; failures are
 * {@link io.cleave.common.error.ApiError}s (404 unknown run, 409 cancel of an ended run, 503
 * no invoker).
 */
public interface FlowRuns {

  /** Why {@code fork} edges cannot run on this node (refused at create), empty when they can. */
  Optional<String> forkUnavailable();

  /** Starts a run (stored before anything runs) and completes with it once it has ended. */
  Future<FlowRun> run(Flow flow, JsonNode input);

  /** Starts a run and completes as soon as it is stored (status running): a detached start. */
  Future<FlowRun> submit(Flow flow, JsonNode input);

  /** The run with its steps. */
  Future<FlowRun> get(String runId);

  /** Runs newest first, without steps; {@code appId} and {@code flowId} filter when not null. */
  Future<List<FlowRun>> list(String appId, String flowId, int limit);

  /** Cancels a running run: no step starts any more, calls in flight are not waited for. */
  Future<FlowRun> cancel(String runId);
}
