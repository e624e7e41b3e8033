package io.cleave.bench.replay;

import java.nio.file.Path;
import java.util.Map;

/**
 * How trace functions become platform functions.
 *
 * @param workload what every trace function runs unless {@code byFunction} says otherwise
 * @param byFunction workload per trace function hash prefix
 * @param idleTimeoutS the functions' idle_timeout (how long an idle instance is kept, Fn semantics)
 * @param busy whether the trace function spins on the CPU for its duration instead of sleeping
 * @param imageDir the image function's photographs (shipped in its bundle)
 * @param imageSize thumbnail width the image function is asked for
 * @param imageIoMs how long each image call waits as if transferring to and from an object store
 * @param keep leave the app and functions on the server after the run
 */
public record DeployOptions(
    Workload workload, Map<String, Workload> byFunction, int idleTimeoutS, boolean busy, Path imageDir, int imageSize, long imageIoMs,
    boolean keep) {

  public DeployOptions {
    byFunction = Map.copyOf(byFunction);
    if (idleTimeoutS < 0 || imageIoMs < 0) {
      throw new IllegalArgumentException("idle timeout and image I/O time must be non-negative");
    }
  }

  DeployOptions withKeep(boolean k) {
    return new DeployOptions(workload, byFunction, idleTimeoutS, busy, imageDir, imageSize, imageIoMs, k);
  }

  Workload workloadOf(TraceFunction f) {
    return byFunction.entrySet().stream()
        .filter(e -> f.function().startsWith(e.getKey()))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse(workload);
  }
}
