package io.cleave.registry;

import io.cleave.common.flow.Flow;
import io.cleave.common.flow.FlowPatch;
import java.util.Optional;

/**
 * Flows (workflows) as the API reads and writes them. Reads are local and non-blocking; writes
 * block and fail with {@link io.cleave.common.error.ApiError}. {@code forkUnavailable} is why
 * {@code fork} edges cannot run here (such flows are refused), empty when they can.
 */
public interface FlowRegistry {
  Optional<Flow> flow(String id);

  Optional<Flow> flowByName(String appId, String name);

  Page<Flow> listFlows(String appId, String name, String cursor, int perPage);

  Flow createFlow(FlowPatch p, Optional<String> forkUnavailable);

  /** Replaces the flow's steps; its name and app stay. */
  Flow updateFlow(String id, FlowPatch p, Optional<String> forkUnavailable);

  void deleteFlow(String id);
}
