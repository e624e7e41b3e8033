package io.cleave.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.access.ApiKey;
import io.cleave.common.access.ApiKeySecret;
import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.json.Json;
import io.cleave.registry.KeyRegistry;
import io.cleave.registry.bundle.BundleStore;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * API keys on requests: finds the caller from {@code Authorization: Bearer <key>} (what the
 * {@code fn} CLI sends from {@code FN_TOKEN}) and admits a request to its route by the route's
 * {@link Rule}: 401 with {@code WWW-Authenticate: Bearer} without a valid key, 403 outside its
 * scope. Key checks are a local lookup and a hash, cheap enough for the event loop.
 */
final class Access {
  private static final String CALLER = "cleave.caller";
  private static final String BEARER = "bearer ";

  /** Key texts hashed lately (one {@code Access} per event loop: no locking), cleared when this many. */
  private static final int HASHES_KEPT = 1024;

  private final KeyRegistry keys;
  private final Map<String, String> hashes = new HashMap<>();
  /** SHA-256 of the server's --admin-key, hex; null without one. */
  private final String configuredAdminHash;

  Access(KeyRegistry keys, String configuredAdminKey) {
    this.keys = keys;
    this.configuredAdminHash = configuredAdminKey.isEmpty() ? null : ApiKeySecret.hash(configuredAdminKey);
  }

  /** The caller a valid key in the request names, if any. */
  Optional<Caller> caller(RoutingContext ctx) {
    Optional<Caller> known = ctx.get(CALLER);
    if (known == null) {
      known = presentedKey(ctx).flatMap(this::callerOf);
      ctx.put(CALLER, known);
    }
    return known;
  }

  private static Optional<String> presentedKey(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || header.length() <= BEARER.length()
        || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Optional.empty();
    }
    return Optional.of(header.substring(BEARER.length()).strip());
  }

  private Optional<Caller> callerOf(String text) {
    String hash = hashOf(text);
    if (configuredAdminHash != null && ApiKeySecret.sameHash(hash, configuredAdminHash)) {
      return Optional.of(new Caller(Caller.CONFIGURED, Role.ADMIN, null));
    }
    return keyOf(text, hash).filter(k -> !k.expiredAt(Instant.now()))
        .map((ApiKey k) -> new Caller(k.id(), k.role(), k.appId()));
  }

  /** The registry's key whose text {@code text} is, expired or not. */
  private Optional<ApiKey> keyOf(String text, String hash) {
    return ApiKeySecret.idOf(text).flatMap(keys::key).filter(k -> ApiKeySecret.sameHash(hash, k.hash()));
  }

  /** Why the request's key is refused: expired (and when), or not a key at all. */
  private String refusal(String text) {
    return keyOf(text, hashOf(text)).map(ApiKey::expiresAt)
        .map(at -> "API key expired at " + Json.formatTime(at) + ": ask an admin for a new one")
        .orElse("invalid or revoked API key");
  }

  /**
   * The key text's SHA-256, remembered for the next requests with it: a client sends the same key on
   * every call, and hashing it costs more than the rest of the check. Only the hash is remembered;
   * whether it names a key is asked of the registry every time, so a revoked key stops at once.
   */
  private String hashOf(String text) {
    String hash = hashes.get(text);
    if (hash == null) {
      if (hashes.size() >= HASHES_KEPT) {
        hashes.clear();
      }
      hash = ApiKeySecret.hash(text);
      hashes.put(text, hash);
    }
    return hash;
  }

  /**
   * Whether the request's Authorization header is the platform's credential (a Cleave key, valid
   * or not, or a key this server accepts): such a header never reaches a function.
   */
  boolean consumesAuthorization(RoutingContext ctx) {
    return presentedKey(ctx).map(k -> ApiKeySecret.looksLikeKey(k) || caller(ctx).isPresent()).orElse(false);
  }

  /** Completes when {@code rule} admits the request, else fails with the 401 or 403 to answer. */
  Future<Void> admit(Rule rule, RoutingContext ctx) {
    if (rule instanceof Rule.Open) {
      return Future.succeededFuture();
    }
    if (rule instanceof Rule.OpenWhen when) {
      return when.open().test(ctx) ? Future.succeededFuture() : admit(when.otherwise(), ctx);
    }
    if (rule instanceof Rule.Member && memberTokenPresented(ctx)) {
      return Future.succeededFuture();
    }
    Optional<Caller> found = caller(ctx);
    if (found.isEmpty()) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"cleave\"");
      return Future.failedFuture(new ApiError(401, presentedKey(ctx).map(this::refusal)
          .orElse("this route needs an API key: send Authorization: Bearer <key>")));
    }
    Caller caller = found.get();
    if (caller.admin()) {
      return Future.succeededFuture();
    }
    if (rule instanceof Rule.Scrape && caller.role() == Role.METRICS) {
      return Future.succeededFuture();
    }
    if (rule instanceof Rule.OfApp ofApp && caller.role().appScoped()) {
      return ofApp.appOf().apply(ctx).compose(app -> caller.reaches(app, ofApp.least())
          ? Future.succeededFuture()
          : Future.failedFuture(new ApiError(403, caller.describe() + " may not " + Routing.describe(ctx)
              + (ofApp.least() == Role.DEPLOY && caller.role() == Role.INVOKE ? ": it may only call functions" : ""))));
    }
    return Future.failedFuture(new ApiError(403, caller.describe() + " may not " + Routing.describe(ctx)
        + ": it needs an admin key"));
  }

  private boolean memberTokenPresented(RoutingContext ctx) {
    String presented = ctx.request().getHeader(BundleStore.MEMBER_TOKEN_HEADER);
    return presented != null && MessageDigest.isEqual(keys.memberToken().getBytes(StandardCharsets.UTF_8),
        presented.getBytes(StandardCharsets.UTF_8));
  }

  /** The {@code app_id} field of the request's JSON body, or null when it has none or is not JSON. */
  static String appIdInBody(RoutingContext ctx) {
    if (ctx.body() == null || ctx.body().buffer() == null) {
      return null;
    }
    try {
      JsonNode body = Json.MAPPER.readTree(ctx.body().buffer().getBytes());
      return body != null && body.path("app_id").isTextual() ? body.get("app_id").asText() : null;
    } catch (IOException e) {
      return null; // the route answers the 400
    }
  }
}
