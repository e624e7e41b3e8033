package io.cleave.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.error.ApiError;
import io.cleave.common.json.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Writes answers the way Fn does: JSON bodies, errors as {@code {"message": ...}} without stack traces. */
final class Replies {
  private static final Logger LOG = Logger.getLogger(Replies.class.getName());

  private Replies() {}

  static void json(RoutingContext ctx, int status, Object body) {
    HttpServerResponse r = ctx.response();
    if (r.ended() || r.closed()) {
      return;
    }
    r.setStatusCode(status).putHeader("Content-Type", "application/json; charset=utf-8")
        .end(Buffer.buffer(Json.toBytes(body)));
  }

  static void noContent(RoutingContext ctx) {
    HttpServerResponse r = ctx.response();
    if (!r.ended() && !r.closed()) {
      r.setStatusCode(204).end();
    }
  }

  static void error(RoutingContext ctx, int status, String message) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("message", message);
    json(ctx, status, body);
  }

  /** Answers a failed request: ApiError as itself, anything else as a 500 (logged, not shown). */
  static void failure(RoutingContext ctx, Throwable t) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (cause instanceof ApiError e) {
      if (e.retryAfterSeconds() > 0) {
        ctx.response().putHeader("Retry-After", Integer.toString(e.retryAfterSeconds()));
      }
      error(ctx, e.status(), e.getMessage());
      return;
    }
    LOG.log(Level.WARNING, "internal error on " + ctx.request().method() + " " + ctx.request().path(), cause);
    error(ctx, 500, "internal server error");
  }

  /** Messages for statuses Vert.x Web produces by itself (no route, body too large, ...). */
  static String messageFor(int status) {
    return switch (status) {
      case 400 -> "Invalid request";
      case 404 -> "Path not found";
      case 405 -> "Method not allowed";
      case 413 -> "Request content too large";
      case 415 -> "Content Type not supported";
      default -> "internal server error";
    };
  }
}
