package io.cleave.scheduler;

import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The cluster's seeds, at most one per function version. Claiming is atomic across members: of
 * two nodes starting the same function at once, one keeps the seed and the other learns who holds
 * it. Writes complete asynchronously; {@link #find} reads a local copy and never blocks.
 */
public interface SeedDirectory {

  /**
   * Claims the seed of {@code key} for {@code node} (recorded as starting): completes with null
   * when the claim won, else with the record of the node that holds it.
   */
  CompletionStage<SeedRecord> claim(SeedKey key, String node);

  /**
   * Marks {@code node}'s seed of {@code key} ready, with where other nodes restore children of it
   * ({@code remote} null: only local forks); a record of another holder is left alone.
   */
  CompletionStage<Void> ready(SeedKey key, String node, RemoteSeed remote);

  /** Gives the seed up, if this node holds it ({@code node} names it in the record). */
  CompletionStage<Void> release(SeedKey key, String node);

  /** The seed of this version as last seen here, or null. */
  SeedRecord find(SeedKey key);

  /** True when the record is this node's own (node names need not be unique; members are). */
  boolean isLocal(SeedRecord record);

  /**
   * Calls {@code changed} with the function id of each record another node adds, makes ready or
   * removes, after {@link #find} sees the change; on whatever thread learns it, so the listener
   * hops to its own. A directory only this node writes has nothing to tell.
   */
  default void watch(Consumer<String> changed) {}
}
