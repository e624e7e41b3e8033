package io.cleave.invoker;

import io.cleave.scheduler.RemoteSeed;
import io.cleave.scheduler.SeedKey;

/** A function's seed on this node: the initialised instance children are forked from. */
final class Seed {
  enum State { STARTING, READY, RETIRED }

  final FunctionPool.Version version;
  /** The version's name in the seed directory. */
  final SeedKey key;
  final int memoryMb;
  State state = State.STARTING;
  /** This node holds the version's claim in the seed directory (given back when the seed goes). */
  boolean claimed;
  String id;
  /** Where other nodes restore its children, as published in the seed directory (null: local forks only). */
  RemoteSeed remote;
  long lastUsedNanos = System.nanoTime();
  /** Remote children restored from its snapshot so far, as its page server last counted them. */
  long restores;
  long reclaimTimer = -1;

  Seed(FunctionPool.Version version, SeedKey key, int memoryMb) {
    this.version = version;
    this.key = key;
    this.memoryMb = memoryMb;
  }
}
