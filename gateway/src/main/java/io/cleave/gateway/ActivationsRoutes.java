package io.cleave.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.access.Role;
import io.cleave.common.activation.Activation;
import io.cleave.common.activation.ActivationLog;
import io.cleave.common.activation.ActivationQuery;
import io.cleave.common.error.ApiError;
import io.cleave.common.json.Json;
import io.cleave.registry.FnRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Consumer;

/** {@code /cleave/v1/activations}: this member's call records, newest first, and their logs. */
final class ActivationsRoutes {
  private static final String BAD_LIMIT = "limit must be an integer between 1 and 1000";

  private final Routing routing;
  private final ActivationLog activations;
  private final FnRegistry fns;

  /** {@code activations} is null on a node without an invoker: the routes then answer 503. */
  ActivationsRoutes(Routing routing, ActivationLog activations, FnRegistry fns) {
    this.routing = routing;
    this.activations = activations;
    this.fns = fns;
  }

  void mount(Router r) {
    // A deploy key lists the activations of one of its app's functions (fn_id); all of them take an admin key.
    routing.on(r, HttpMethod.GET, "/cleave/v1/activations", new Rule.OfApp(Role.DEPLOY, AppOf.fnInQuery(fns, "fn_id")),
        this::list);
    Rule ofActivation = new Rule.OfApp(Role.DEPLOY, this::appOfActivation);
    routing.on(r, HttpMethod.GET, "/cleave/v1/activations/:id", ofActivation, this::get);
    routing.on(r, HttpMethod.GET, "/cleave/v1/activations/:id/logs", ofActivation, this::logs);
  }

  /** The app of the call the path names, or null when this member has no record of it. */
  private Future<String> appOfActivation(RoutingContext ctx) {
    if (activations == null) {
      return Future.succeededFuture(null);
    }
    return activations.get(ctx.pathParam("id")).map(found -> found.map(Activation::appId).orElse(null));
  }

  private ActivationLog requireActivations() {
    if (activations == null) {
      throw new ApiError(503, "no invoker on this node");
    }
    return activations;
  }

  private void list(RoutingContext ctx) {
    ActivationLog log = requireActivations();
    MultiMap q = ctx.request().params();
    Instant since = null;
    String sinceText = q.get("since");
    if (sinceText != null && !sinceText.isEmpty()) {
      try {
        since = Instant.parse(sinceText);
      } catch (DateTimeParseException e) {
        throw new ApiError(400, "since must be an RFC 3339 time such as 2018-03-07T21:35:03.155Z");
      }
    }
    int limit = 30;
    String limitText = q.get("limit");
    if (limitText != null && !limitText.isEmpty()) {
      try {
        limit = Integer.parseInt(limitText);
      } catch (NumberFormatException e) {
        throw new ApiError(400, BAD_LIMIT);
      }
      if (limit < 1 || limit > 1000) {
        throw new ApiError(400, BAD_LIMIT);
      }
    }
    String fnId = q.get("fn_id");
    ActivationQuery query = new ActivationQuery(fnId == null || fnId.isEmpty() ? null : fnId, since, limit);
    log.list(query).onComplete(Routing.guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
        return;
      }
      // In the log's order, which is newest first.
      ObjectNode body = Json.MAPPER.createObjectNode();
      ArrayNode items = body.putArray("items");
      ar.result().forEach(a -> items.add(Json.MAPPER.valueToTree(a)));
      Replies.json(ctx, 200, body);
    }));
  }

  private void get(RoutingContext ctx) {
    requireActivations().get(ctx.pathParam("id")).onComplete(found(ctx, a -> Replies.json(ctx, 200, a)));
  }

  private void logs(RoutingContext ctx) {
    requireActivations().logs(ctx.pathParam("id")).onComplete(found(ctx,
        text -> ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(text)));
  }

  /** Answers what the log found for one activation with {@code answer}, or 404 when it has no such activation. */
  private static <T> Handler<AsyncResult<Optional<T>>> found(RoutingContext ctx, Consumer<T> answer) {
    return Routing.guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
      } else if (ar.result().isEmpty()) {
        Replies.error(ctx, 404, "Activation not found");
      } else {
        answer.accept(ar.result().get());
      }
    });
  }
}
