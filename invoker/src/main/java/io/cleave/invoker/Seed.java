package io.cleave.invoker;

/** A function's seed on this node: the initialised instance children are forked from. */
final class Seed {
  enum State { STARTING, READY, RETIRED }

  final FunctionPool.Version version;
  final int memoryMb;
  State state = State.STARTING;
  String id;
  long lastUsedNanos = System.nanoTime();
  long reclaimTimer = -1;

  Seed(FunctionPool.Version version, int memoryMb) {
    this.version = version;
    this.memoryMb = memoryMb;
  }
}
