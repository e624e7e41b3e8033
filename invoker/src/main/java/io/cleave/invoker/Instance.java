package io.cleave.invoker;

import io.cleave.common.model.StartMode;
import io.cleave.scheduler.RemoteSeed;
import io.vertx.core.Future;

/** One instance as its node's invoker tracks it; touched only on the invoker's context. */
final class Instance {
  enum State { STARTING, READY, RETIRED }

  final FunctionPool.Version version;
  final int memoryMb;
  /** How it was made: cold or fork; its first call reports this, later calls are warm. */
  final StartMode origin;
  /** Why it was not made a faster way (null when nothing stood in the way); its first call reports it. */
  String startNote;
  /** The node whose seed a remote child was restored from (null for other starts). */
  String seedNode;
  /** The snapshot a remote child was restored from (null for other starts): its children share its page server's fate. */
  RemoteSeed restoredFrom;
  /** The JVM seed hosting it (forkd's id), for an instance of a Java function; null otherwise. */
  String jvmSeed;
  /** Cold-only instances serve one call and go. */
  final boolean singleUse;
  State state = State.STARTING;
  String id;
  String listener;
  long initMs;
  int active;
  boolean served;
  /** Forked ahead of demand and not yet handed to a call ({@link ForkAhead}): it waits for its seed, not an idle timer. */
  boolean parked;
  boolean destroyed;
  long lastUsedNanos = System.nanoTime();
  long idleTimer = -1;
  /** The file forkd sends the instance's stdout and stderr to (next to its listener). */
  java.nio.file.Path output;
  /** Where the output of the next call starts. */
  long logOffset;
  /** Which rotated output (output.1's file key) logOffset's file became, as of the last call's end; null: none yet. */
  Object outputRotation;
  /** Completes when every call's log slice was read; the instance is deleted (with its output) only then. */
  Future<Void> logsSettled = Future.succeededFuture();

  /**
   * The file a started instance's stdout and stderr go to: {@code output} beside its listener,
   * except an instance added to a JVM seed, whose output is {@code <id>/output} there (docs/CONTRACTS.md).
   */
  static java.nio.file.Path outputOf(io.cleave.forkd.api.StartedInstance started) {
    java.nio.file.Path listener = java.nio.file.Path.of(started.listener());
    return started.startMode() == StartMode.INSTANCE
        ? listener.resolveSibling(started.instanceId()).resolve("output")
        : listener.resolveSibling("output");
  }

  Instance(FunctionPool.Version version, int memoryMb, StartMode origin, boolean singleUse) {
    this.version = version;
    this.memoryMb = memoryMb;
    this.origin = origin;
    this.singleUse = singleUse;
  }
}
