package io.cleave.invoker;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The node's fork daemon as the invoker needs it (docs/CONTRACTS.md, "invoker → forkd RPC"). */
interface InstanceHost {
  /** How an instance is made: a cold start, a seed, or a fork of a seed. */
  enum Mode {
    COLD("cold"),
    SEED("seed"),
    FORK("fork");

    final String wireName;

    Mode(String wireName) {
      this.wireName = wireName;
    }
  }

  record StartSpec(
      String fnId,
      String appId,
      Path bundleDir,
      int memoryMb,
      List<String> command,
      Map<String, String> env,
      Mode mode,
      String seedId) {}

  /** A ready instance; {@code listener} is null for a seed. */
  record Started(String instanceId, String listener, double startMs) {}

  record Status(boolean running, Integer exitCode, Integer signal, boolean oomKilled, long memoryBytes) {}

  /** Output from {@code offset}: at most the bytes asked for, and where the output currently ends. */
  record LogChunk(Buffer bytes, long end) {}

  Future<Started> start(StartSpec spec);

  Future<Status> status(String instanceId);

  Future<Void> stop(String instanceId);

  Future<LogChunk> logs(String instanceId, long offset, int maxBytes);
}
