package io.cleave.common.bundle;

import java.io.IOException;
import java.time.Instant;
import java.util.Map;

/**
 * Copies of bundles one member keeps on its own disk (archives, unpacked trees), which it removes
 * itself once no function uses them: every member collects its own copies. Blocking: call from a
 * worker thread.
 */
public interface BundleCopies {
  /** The bundles with a copy here, each with when it was last stored or used here. */
  Map<BundleDigest, Instant> copies() throws IOException;

  /**
   * Removes the copy of {@code digest} unless it was stored or used after {@code cutoff} (a
   * concurrent upload or start keeps it); answers whether it was removed.
   */
  boolean removeUnlessUsedSince(BundleDigest digest, Instant cutoff) throws IOException;
}
