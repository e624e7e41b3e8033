package io.cleave.common.bundle;

import java.util.Locale;
import java.util.Optional;

/** The sha256 digest naming a code bundle; a function's image is {@code bundle:sha256:<hex>}. */
public record BundleDigest(String hex) {
  public static final String IMAGE_PREFIX = "bundle:";

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
    String hex = text.substring("sha256:".length()).toLowerCase(Locale.ROOT);
    try {
      return Optional.of(new BundleDigest(hex));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The digest a function's image refers to, if the image is a bundle reference. */
  public static Optional<BundleDigest> fromImage(String image) {
    if (image == null || !image.startsWith(IMAGE_PREFIX)) {
      return Optional.empty();
    }
    return parse(image.substring(IMAGE_PREFIX.length()));
  }

  /** {@code sha256:<hex>} */
  @Override
  public String toString() {
    return "sha256:" + hex;
  }

  public String image() {
    return IMAGE_PREFIX + this;
  }
}
