package io.cleave.common.bundle;

import io.vertx.core.Future;
import java.nio.file.Path;

/**
 * Where a node gets a bundle archive for a digest: a local file path, fetched from elsewhere
 * first if needed. Fails with {@link io.cleave.common.error.ApiError} 404 when no one has it.
 */
public interface BundleSource {
  Future<Path> archive(BundleDigest digest);
}
