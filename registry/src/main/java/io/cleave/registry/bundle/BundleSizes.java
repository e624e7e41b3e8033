package io.cleave.registry.bundle;

import io.cleave.common.bundle.BundleDigest;
import java.util.OptionalLong;

/** A bundle's size in bytes as the cluster knows it, empty when no member announced it. May block. */
@FunctionalInterface
public interface BundleSizes {
  OptionalLong bytes(BundleDigest digest);
}
