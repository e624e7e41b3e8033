package io.cleave.common.bundle;

/**
 * Bounds on what unpacking one archive may produce: the sum of the unpacked file sizes and the
 * number of entries. Both guard against decompression bombs.
 */
public record UnpackLimits(long maxTotalBytes, int maxEntries) {

  /** 512 MB and 20,000 entries: room for a Python function with its libraries. */
  public static final UnpackLimits DEFAULT = new UnpackLimits(512L * 1024 * 1024, 20_000);

  public UnpackLimits {
    if (maxTotalBytes <= 0 || maxEntries <= 0) {
      throw new IllegalArgumentException("unpack limits must be positive");
    }
  }
}
