package io.cleave.common.config;

import java.time.Duration;

/**
 * How much bundle storage an app may use and when bundles no function uses any more are removed.
 *
 * @param appQuotaBytes most bytes (compressed) of the distinct bundles an app's functions use
 * @param unreferencedGrace how long a bundle stays after the last function using it moved on, so
 *     an upload whose function update is still on its way (or a call still running it) keeps it
 */
public record BundleStorage(long appQuotaBytes, Duration unreferencedGrace) {
  public static final BundleStorage DEFAULT = new BundleStorage(1024 * ServerConfig.MB, Duration.ofMinutes(10));

  public BundleStorage {
    if (appQuotaBytes <= 0) {
      throw new IllegalArgumentException("the app bundle quota must be positive");
    }
    if (unreferencedGrace.isNegative()) {
      throw new IllegalArgumentException("the bundle grace period cannot be negative");
    }
  }
}
