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

  /**
   * Checks that both ends of every {@code fork} edge of {@code steps} (steps of a flow of app
   * {@code appId}) run on the same interpreter here: a fork child runs its consumer in the
   * producer's process. Fails with a 400 naming the edge and both runtimes, or why one of the
   * functions cannot run here; unknown steps and functions are left to the flow's own checks.
   */
  Future<Void> checkForkEdges(String appId, List<FlowStep> steps);

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
