package io.cleave.server;

import io.cleave.common.bundle.BundleCopies;
import io.cleave.common.bundle.BundleDigest;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Removes this member's copies of bundles no function uses any more. A copy goes once no function
 * has used its bundle for the grace period (counted from the first sweep that found it unused, so
 * a restart starts the count again) and it was neither stored nor used here in that time: an
 * upload whose function update is still on its way, or a call still running an old version, keeps
 * it. Each member runs its own collectors, over its own copies (archives, unpacked trees).
 */
final class BundleCollector implements AutoCloseable {
  private final Vertx vertx;
  private final Supplier<Set<BundleDigest>> inUse;
  private final BundleCopies copies;
  private final Duration grace;
  /** Sweeps run one at a time on a worker: this map is only touched there. */
  private final Map<BundleDigest, Instant> unusedSince = new HashMap<>();
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private final long timer;

  /** Sweeps every quarter of the grace period, at least every second and at most every minute. */
  BundleCollector(Vertx vertx, Supplier<Set<BundleDigest>> inUse, BundleCopies copies, Duration grace) {
    this.vertx = vertx;
    this.inUse = inUse;
    this.copies = copies;
    this.grace = grace;
    long periodMs = Math.max(1000, Math.min(60_000, grace.toMillis() / 4));
    this.timer = vertx.setPeriodic(periodMs, t -> {
      if (sweeping.compareAndSet(false, true)) {
        vertx.executeBlocking(this::sweep, false)
            .onComplete(ar -> sweeping.set(false))
            .onFailure(e -> System.err.println("cleave: bundle collection: " + e.getMessage()));
      }
    });
  }

  /** One pass. Blocking. */
  private Void sweep() throws Exception {
    Instant now = Instant.now();
    Instant cutoff = now.minus(grace);
    Set<BundleDigest> used = inUse.get();
    Map<BundleDigest, Instant> present = copies.copies();
    unusedSince.keySet().retainAll(present.keySet());
    for (BundleDigest d : present.keySet()) {
      if (used.contains(d)) {
        unusedSince.remove(d);
        continue;
      }
      Instant since = unusedSince.computeIfAbsent(d, x -> now);
      if (!since.isAfter(cutoff) && copies.removeUnlessUsedSince(d, cutoff)) {
        unusedSince.remove(d);
      }
    }
    return null;
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
  }
}
