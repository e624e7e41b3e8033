package io.cleave.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.access.ApiKey;
import io.cleave.common.access.ApiKeySecret;
import io.cleave.common.access.IssuedKey;
import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.json.Json;
import io.cleave.common.model.App;
import io.cleave.registry.AppRegistry;
import io.cleave.registry.KeyRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code /cleave/v1/keys}: list, create and revoke API keys, with an admin key; {@code self}, what
 * the caller's own key is. A key's text is answered once, by the create; lists show its id and the
 * non-secret start of it.
 */
final class KeyRoutes {
  private final Routing routing;
  private final KeyRegistry keys;
  private final AppRegistry apps;

  KeyRoutes(Routing routing, KeyRegistry keys, AppRegistry apps) {
    this.routing = routing;
    this.keys = keys;
    this.apps = apps;
  }

  void mount(Router r) {
    routing.on(r, HttpMethod.GET, "/cleave/v1/keys", new Rule.Admin(), this::list);
    routing.on(r, HttpMethod.POST, "/cleave/v1/keys", new Rule.Admin(), this::create);
    routing.on(r, HttpMethod.DELETE, "/cleave/v1/keys/:keyId", new Rule.Admin(), this::revoke);
    // Any key of an app, or an admin key, may learn its own role and app (the console shows what it may use).
    routing.on(r, HttpMethod.GET, "/cleave/v1/keys/self", new Rule.OfApp(Role.INVOKE, AppOf.callersOwn(routing.access())),
        this::self);
  }

  private void self(RoutingContext ctx) {
    Caller caller = routing.access().caller(ctx).orElseThrow();
    ObjectNode o = Json.MAPPER.createObjectNode().put("id", caller.keyId()).put("role", caller.role().wireName());
    if (caller.appId() != null) {
      o.put("app_id", caller.appId());
      apps.app(caller.appId()).map(App::name).ifPresent(name -> o.put("app_name", name));
    }
    Replies.json(ctx, 200, o);
  }

  private void list(RoutingContext ctx) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    ArrayNode items = body.putArray("items");
    keys.keys().forEach(k -> items.add(view(k)));
    Replies.json(ctx, 200, body);
  }

  private void create(RoutingContext ctx) {
    ObjectNode o = Bodies.object(ctx.body().buffer());
    Role role;
    try {
      role = Role.parse(o.path("role").asText(""));
    } catch (IllegalArgumentException e) {
      throw new ApiError(400, e.getMessage());
    }
    String appId = o.path("app_id").isTextual() ? o.get("app_id").asText() : null;
    Duration lifetime = lifetime(o.get("expires_in_s"));
    routing.blocking(ctx, () -> keys.createKey(role, appId, lifetime), (IssuedKey issued) -> {
      ObjectNode view = view(issued.key());
      view.put("key", issued.text());
      Replies.json(ctx, 200, view);
    });
  }

  /** {@code expires_in_s}: absent or null for a key that lasts until revoked, else whole seconds. */
  private static Duration lifetime(JsonNode field) {
    if (field == null || field.isNull()) {
      return null;
    }
    if (!field.isIntegralNumber() || !field.canConvertToLong()) {
      throw new ApiError(400, "expires_in_s must be a whole number of seconds, got " + field);
    }
    return Duration.ofSeconds(field.asLong());
  }

  private void revoke(RoutingContext ctx) {
    routing.blocking(ctx, () -> {
      keys.deleteKey(ctx.pathParam("keyId"));
      return true;
    }, x -> Replies.noContent(ctx));
  }

  /**
   * A key as lists show it: id, the start of its text, role, app (id and name), creation time and,
   * for a key that expires, when and whether it has; never its hash.
   */
  private ObjectNode view(ApiKey k) {
    ObjectNode o = Json.MAPPER.createObjectNode().put("id", k.id()).put("prefix", ApiKeySecret.prefixOf(k.id()))
        .put("role", k.role().wireName());
    if (k.appId() != null) {
      o.put("app_id", k.appId());
      apps.app(k.appId()).map(App::name).ifPresent(name -> o.put("app_name", name));
    }
    o.put("created_at", Json.formatTime(k.createdAt()));
    if (k.expiresAt() != null) {
      o.put("expires_at", Json.formatTime(k.expiresAt())).put("expired", k.expiredAt(Instant.now()));
    }
    return o;
  }
}
