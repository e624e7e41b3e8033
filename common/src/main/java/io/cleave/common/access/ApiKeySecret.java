package io.cleave.common.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The text of an API key: {@code clv_<id>_<secret>}, where {@code id} is the key's public id (a
 * ULID) and {@code secret} 32 random bytes in base64url. Only {@link #hash} of the whole text is
 * stored; the id lets the server find the one record to compare against.
 */
public final class ApiKeySecret {
  private static final String PREFIX = "clv_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeySecret() {}

  /** A new key text for the key {@code id}. */
  public static String generate(String id) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return PREFIX + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /** The start of the text of key {@code id}: not secret, it names the key in lists. */
  public static String prefixOf(String id) {
    return PREFIX + id;
  }

  /** The id a key text names, if it has the form of one. */
  public static Optional<String> idOf(String key) {
    if (!key.startsWith(PREFIX)) {
      return Optional.empty();
    }
    int end = key.indexOf('_', PREFIX.length());
    return end <= PREFIX.length() ? Optional.empty() : Optional.of(key.substring(PREFIX.length(), end));
  }

  /** Whether {@code text} looks like a Cleave key (so it is the platform's, not a function's, credential). */
  public static boolean looksLikeKey(String text) {
    return idOf(text).isPresent();
  }

  /** SHA-256 of the key text, hex: what the registry stores. */
  public static String hash(String key) {
    return HexFormat.of().formatHex(sha256(key));
  }

  /**
   * Whether a key's {@link #hash} is the stored one, compared in constant time (the caller may
   * keep the hash of a key text it sees again, so the hashing is not done here).
   */
  public static boolean sameHash(String hash, String storedHash) {
    return MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII), storedHash.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
