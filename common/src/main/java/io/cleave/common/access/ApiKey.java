package io.cleave.common.access;

import java.time.Duration;
import java.time.Instant;

/**
 * An API key as the registry keeps it: never the key itself, only the SHA-256 of it ({@code hash},
 * hex). {@code id} is also the start of the key ({@link ApiKeySecret}), so a presented key is
 * found by id and then compared by hash. {@code appId} is the app of a deploy or invoke key, else
 * null. {@code expiresAt} is when the key stops being accepted, or null for a key that lasts until
 * it is revoked (also every key stored before keys could expire).
 */
public record ApiKey(String id, Role role, String appId, String hash, Instant createdAt, Instant expiresAt) {
  /** The shortest lifetime a key may be given. */
  public static final Duration MIN_LIFETIME = Duration.ofSeconds(1);
  /** The longest lifetime a key may be given: ten years. */
  public static final Duration MAX_LIFETIME = Duration.ofDays(3650);

  public ApiKey {
    if (role.appScoped() != (appId != null)) {
      throw new IllegalArgumentException(role.wireName() + " keys " + (role.appScoped() ? "need" : "take no") + " app");
    }
  }

  /** Whether {@code lifetime} is one a key may be given. */
  public static boolean allowedLifetime(Duration lifetime) {
    return lifetime.compareTo(MIN_LIFETIME) >= 0 && lifetime.compareTo(MAX_LIFETIME) <= 0;
  }

  /** Whether the key is no longer accepted at {@code now}. */
  public boolean expiredAt(Instant now) {
    return expiresAt != null && !now.isBefore(expiresAt);
  }
}
