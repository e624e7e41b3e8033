package io.cleave.forkd;

import io.cleave.common.error.ApiError;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * How forkd learns that a starting instance is ready: its socket (listener, or a seed's control
 * socket) appears in its run dir within the start timeout, while the instance still lives.
 */
final class Readiness implements AutoCloseable {
  private final PathWatch paths = PathWatch.open();
  private final long timeoutMs;

  Readiness(long timeoutMs) {
    this.timeoutMs = timeoutMs;
  }

  long timeoutMs() {
    return timeoutMs;
  }

  /** Starts watching a run dir; call before the instance can bind its socket. */
  PathWatch.Watch watch(Path runDir) {
    return paths.watch(runDir);
  }

  /** Waits for the ready socket; a dead or slow instance becomes a 502 or 504 with its output. */
  void await(PathWatch.Watch watch, Path ready, long t0, BooleanSupplier alive, Supplier<String> exit, Path output) {
    long deadline = t0 + timeoutMs * 1_000_000;
    switch (watch.await(ready, deadline, alive)) {
      case APPEARED -> {
        if (!alive.getAsBoolean()) {
          throw new ApiError(502, "instance exited right after it was ready (" + exit.get() + "); output: "
              + RunDirs.tail(output));
        }
      }
      case DIED -> throw new ApiError(502, "instance exited before it was ready (" + exit.get() + "); output: "
          + RunDirs.tail(output));
      case TIMED_OUT -> throw new ApiError(504, "instance not ready within " + timeoutMs
          + " ms (CLEAVE_FORKD_START_TIMEOUT_MS); output: " + RunDirs.tail(output));
    }
  }

  /** A wait status in words. */
  static String describeExit(Integer wait) {
    if (wait == null) {
      return "exit status unknown";
    }
    return (wait & 0x7f) == 0 ? "exit code " + ((wait >> 8) & 0xff) : "killed by signal " + (wait & 0x7f);
  }

  @Override
  public void close() {
    paths.close();
  }
}
