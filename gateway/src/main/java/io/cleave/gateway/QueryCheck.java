package io.cleave.gateway;

import io.vertx.ext.web.RoutingContext;

/**
 * Refuses a query string that does not decode (a {@code %} not followed by two hex digits) with a
 * 400, before any route reads a parameter: decoding it there throws, which answered 500.
 */
final class QueryCheck {
  private QueryCheck() {}

  static void handle(RoutingContext ctx) {
    try {
      ctx.request().params();
    } catch (IllegalArgumentException e) {
      Replies.error(ctx, 400, "Invalid query: malformed percent-encoding");
      return;
    }
    ctx.next();
  }
}
