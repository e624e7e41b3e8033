package io.cleave.scheduler;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** The seed directory of a node on its own (no cluster to share seeds with). */
public final class LocalSeedDirectory implements SeedDirectory {
  private final Map<String, SeedRecord> seeds = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<SeedRecord> claim(SeedRecord starting) {
    return CompletableFuture.completedFuture(seeds.putIfAbsent(starting.key().id(), starting));
  }

  @Override
  public CompletionStage<Void> update(SeedRecord record) {
    seeds.computeIfPresent(record.key().id(), (k, held) -> held.node().equals(record.node()) ? record : held);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> release(SeedKey key, String node) {
    seeds.computeIfPresent(key.id(), (k, held) -> held.node().equals(node) ? null : held);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public SeedRecord find(SeedKey key) {
    return seeds.get(key.id());
  }
}
