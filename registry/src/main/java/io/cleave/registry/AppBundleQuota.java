package io.cleave.registry;

import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.error.ApiError;
import io.cleave.common.model.Fn;
import io.cleave.registry.bundle.BundleSizes;
import java.util.Collection;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * An app's bundle storage: the bytes of the distinct bundles its functions use (a bundle two
 * functions share counts once), at most {@code limitBytes}. Checked, under the app's lock, when a
 * function takes an image, against this member's view of the app's functions.
 */
record AppBundleQuota(long limitBytes, BundleSizes sizes) {

  /**
   * Refuses (403) giving function {@code fnId} of the app ({@code null} for a new one) the bundle
   * {@code image} when the app's bundles would then take more than the limit.
   */
  void check(String appName, Collection<Fn> appFns, String fnId, String image) {
    Set<BundleDigest> used = new HashSet<>();
    for (Fn f : appFns) {
      if (!Objects.equals(f.id(), fnId)) {
        BundleDigest.fromImage(f.image()).ifPresent(used::add);
      }
    }
    BundleDigest.fromImage(image).ifPresent(used::add);
    long total = 0;
    for (BundleDigest d : used) {
      total += sizes.bytes(d).orElse(0);
    }
    if (total > limitBytes) {
      throw new ApiError(403, "app " + appName + " would use " + total + " bytes of bundles, more than its quota of "
          + limitBytes + " bytes (--app-bundle-quota); delete functions or use smaller bundles");
    }
  }
}
