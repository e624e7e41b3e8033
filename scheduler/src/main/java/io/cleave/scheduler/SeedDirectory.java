package io.cleave.scheduler;

import java.util.concurrent.CompletionStage;

/**
 * The cluster's seeds, at most one per function version. Claiming is atomic across members: of
 * two nodes starting the same function at once, one keeps the seed and the other learns who holds
 * it. Writes complete asynchronously; {@link #find} reads a local copy and never blocks.
 */
public interface SeedDirectory {

  /**
   * Claims the seed of {@code starting.key()} for {@code starting.node()}: completes with null when
   * the claim won, else with the record of the node that holds it.
   */
  CompletionStage<SeedRecord> claim(SeedRecord starting);

  /** Replaces the holder's own record (e.g. once ready); a record of another holder is left alone. */
  CompletionStage<Void> update(SeedRecord record);

  /** Gives the seed up, if {@code node} holds it. */
  CompletionStage<Void> release(SeedKey key, String node);

  /** The seed of this version as last seen here, or null. */
  SeedRecord find(SeedKey key);
}
