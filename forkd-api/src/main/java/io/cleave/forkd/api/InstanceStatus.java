package io.cleave.forkd.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@code GET /v1/instances/{id}}. {@code exitCode} and {@code signal} are {@code null} while the
 * instance runs (and when the exit could not be observed); {@code oomKilled} is true once the
 * kernel's OOM killer acted in the instance's cgroup; {@code memoryBytes} is the cgroup's usage,
 * {@code pssBytes} the main process's proportional set size (0 once exited); {@code logBytes} is
 * the size of the instance's output so far (the offset the next output will start at).
 * {@code remote} is a prepared seed's snapshot; {@code exitReason} says why a remote child ended
 * when its restorer did (page server lost, handle revoked), else {@code null}. {@code restores} is,
 * for a prepared seed, how many restorers (remote children on other nodes) the page server has
 * given its snapshot to, else 0: its node counts them as uses of the seed.
 */
public record InstanceStatus(
    String instanceId,
    String state,
    Integer exitCode,
    Integer signal,
    boolean oomKilled,
    long memoryBytes,
    long pssBytes,
    long logBytes,
    @JsonInclude(JsonInclude.Include.NON_NULL) RemoteRef remote,
    @JsonInclude(JsonInclude.Include.NON_NULL) String exitReason,
    long restores) {

  public boolean running() {
    return "running".equals(state);
  }
}
