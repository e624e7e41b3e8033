package io.cleave.registry;

import io.cleave.common.access.ApiKey;
import io.cleave.common.access.IssuedKey;
import io.cleave.common.access.Role;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * API keys, replicated and kept like apps. Reads are local and non-blocking (safe on an event
 * loop); writes block and fail with {@link io.cleave.common.error.ApiError}.
 */
public interface KeyRegistry {
  Optional<ApiKey> key(String id);

  /** Every key, by id (which is creation order). */
  List<ApiKey> keys();

  /**
   * A new key of {@code role}; {@code appId} names the app of a deploy or invoke key (404 when it has
   * none); {@code lifetime}, when not null, is how long it is accepted ({@link ApiKey#allowedLifetime},
   * else 400).
   */
  IssuedKey createKey(Role role, String appId, Duration lifetime);

  /** Revokes a key: every member refuses it from the moment this returns (404 when there is none). */
  void deleteKey(String id);

  /** A new admin key when the cluster has none that is unexpired (checked under a cluster-wide lock), else empty. */
  Optional<IssuedKey> createFirstAdminKey();

  /**
   * The token members present to each other's API (bundle fetches): made once for the cluster
   * and kept in the registry, so whoever shares the registry is a member.
   */
  String memberToken();
}
