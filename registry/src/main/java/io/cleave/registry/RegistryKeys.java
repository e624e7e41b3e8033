package io.cleave.registry;

import com.hazelcast.map.IMap;
import io.cleave.common.access.ApiKey;
import io.cleave.common.access.ApiKeySecret;
import io.cleave.common.access.IssuedKey;
import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.id.Ulid;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** {@link KeyRegistry} on the registry's {@code api-keys} and {@code member-token} maps, read from a local copy. */
final class RegistryKeys implements KeyRegistry {
  private static final String FIRST_ADMIN_LOCK = "first-admin";
  private static final String MEMBER_TOKEN = "member-token";

  private final IMap<String, ApiKey> keys;
  private final IMap<String, String> memberTokens;
  private final RegistryView apps;
  /** This member's copy, fed by entry events from every member: lookups never leave the process. */
  private final Map<String, ApiKey> local = new ConcurrentSkipListMap<>();
  private final String memberToken;

  RegistryKeys(IMap<String, ApiKey> keys, IMap<String, String> memberTokens, RegistryView apps) {
    this.keys = keys;
    this.memberTokens = memberTokens;
    this.apps = apps;
    keys.addEntryListener(new Registry.Feed<ApiKey>(k -> local.put(k.id(), k), local::remove), true);
    keys.values().forEach(k -> local.put(k.id(), k));
    byte[] token = new byte[32];
    new SecureRandom().nextBytes(token);
    memberTokens.putIfAbsent(MEMBER_TOKEN, HexFormat.of().formatHex(token));
    this.memberToken = memberTokens.get(MEMBER_TOKEN);
  }

  @Override
  public Optional<ApiKey> key(String id) {
    return Optional.ofNullable(local.get(id));
  }

  @Override
  public List<ApiKey> keys() {
    return List.copyOf(local.values());
  }

  @Override
  public IssuedKey createKey(Role role, String appId, Duration lifetime) {
    if (role.appScoped() && (appId == null || appId.isEmpty())) {
      throw new ApiError(400, role.wireName() + " keys need an app_id");
    }
    if (!role.appScoped() && appId != null && !appId.isEmpty()) {
      throw new ApiError(400, role.wireName() + " keys take no app_id");
    }
    if (lifetime != null && !ApiKey.allowedLifetime(lifetime)) {
      throw new ApiError(400, "a key's lifetime must be between 1 second and " + ApiKey.MAX_LIFETIME.toDays() + " days");
    }
    if (role.appScoped() && apps.app(appId).isEmpty()) {
      throw new ApiError(404, "App not found");
    }
    String id = Ulid.next();
    String text = ApiKeySecret.generate(id);
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    ApiKey key = new ApiKey(id, role, role.appScoped() ? appId : null, ApiKeySecret.hash(text), now,
        lifetime == null ? null : now.plus(lifetime));
    keys.set(id, key);
    local.put(id, key); // read-your-writes before the entry event arrives
    return new IssuedKey(key, text);
  }

  @Override
  public void deleteKey(String id) {
    if (keys.remove(id) == null) {
      throw new ApiError(404, "Key not found");
    }
    local.remove(id);
  }

  @Override
  public Optional<IssuedKey> createFirstAdminKey() {
    keys.lock(FIRST_ADMIN_LOCK);
    try {
      Instant now = Instant.now();
      if (keys.values().stream().anyMatch(k -> k.role() == Role.ADMIN && !k.expiredAt(now))) {
        return Optional.empty();
      }
      return Optional.of(createKey(Role.ADMIN, null, null));
    } finally {
      keys.unlock(FIRST_ADMIN_LOCK);
    }
  }

  @Override
  public String memberToken() {
    return memberToken;
  }
}
