package io.cleave.scheduler;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** The seed directory of a node on its own (no cluster to share seeds with). */
public final class LocalSeedDirectory implements SeedDirectory {
  private final Map<String, SeedRecord> seeds = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<SeedRecord> claim(SeedKey key, String node) {
    SeedRecord starting = new SeedRecord(key.fnId(), key.version(), node, node, false, null);
    return CompletableFuture.completedFuture(seeds.putIfAbsent(key.id(), starting));
  }

  @Override
  public CompletionStage<Void> ready(SeedKey key, String node, RemoteSeed remote) {
    seeds.computeIfPresent(key.id(), (k, held) -> held.node().equals(node) ? held.asReady(remote) : held);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> release(SeedKey key, String node) {
    seeds.computeIfPresent(key.id(), (k, held) -> held.node().equals(node) ? null : held);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public boolean isLocal(SeedRecord record) {
    return true; // nothing but this node writes here
  }

  @Override
  public SeedRecord find(SeedKey key) {
    return seeds.get(key.id());
  }
}
