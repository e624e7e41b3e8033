package io.cleave.common.bundle;

import java.util.Locale;
import java.util.Optional;

/**
 * The sha256 digest naming a code bundle. A function's image names it as
 * {@code cleave/bundle:sha256-<hex>}: a valid Docker reference whose last path element has exactly
 * one {@code :}, so the {@code fn} CLI's image check accepts it. The first form Cleave used,
 * {@code bundle:sha256:<hex>}, is still understood.
 */
public record BundleDigest(String hex) {
  /** The repository part of a bundle image reference; the tag is {@code sha256-<hex>}. */
  public static final String IMAGE_REPOSITORY = "cleave/bundle";
  private static final String IMAGE_PREFIX = IMAGE_REPOSITORY + ":sha256-";
  private static final String LEGACY_IMAGE_PREFIX = "bundle:sha256:";

  public BundleDigest {
    if (hex == null || hex.length() != 64 || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw new IllegalArgumentException("a bundle digest is 64 lowercase hex digits");
    }
  }

  /** Parses {@code sha256:<hex>}; empty when the text is not of that form. */
  public static Optional<BundleDigest> parse(String text) {
    if (text == null || !text.startsWith("sha256:")) {
      return Optional.empty();
    }
    return ofHex(text.substring("sha256:".length()));
  }

  /** The digest a function's image refers to, if the image is a bundle reference (either form). */
  public static Optional<BundleDigest> fromImage(String image) {
    if (image == null) {
      return Optional.empty();
    }
    if (image.startsWith(IMAGE_PREFIX)) {
      return ofHex(image.substring(IMAGE_PREFIX.length()));
    }
    if (image.startsWith(LEGACY_IMAGE_PREFIX)) {
      return ofHex(image.substring(LEGACY_IMAGE_PREFIX.length()));
    }
    return Optional.empty();
  }

  /** True when the image claims to be a bundle reference (it may still be malformed). */
  public static boolean looksLikeBundleImage(String image) {
    return image != null
        && (image.startsWith(IMAGE_REPOSITORY + ":") || image.startsWith("bundle:"));
  }

  private static Optional<BundleDigest> ofHex(String hex) {
    try {
      return Optional.of(new BundleDigest(hex.toLowerCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** {@code sha256:<hex>} */
  @Override
  public String toString() {
    return "sha256:" + hex;
  }

  /** The image reference for this bundle: {@code cleave/bundle:sha256-<hex>}. */
  public String image() {
    return IMAGE_PREFIX + hex;
  }
}
