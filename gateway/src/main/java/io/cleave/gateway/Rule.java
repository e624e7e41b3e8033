package io.cleave.gateway;

import io.cleave.common.access.Role;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;
import java.util.function.Predicate;

/** Who may use a route; every route is mounted with one ({@link Routing#on}) and {@link Access} enforces it. */
sealed interface Rule {
  /** Anyone, without a key: the ping and version routes, and the internal call route (it checks the cluster secret). */
  record Open() implements Rule {}

  /** Admin keys only. */
  record Admin() implements Rule {}

  /** Admin or metrics keys: {@code /metrics}. */
  record Scrape() implements Rule {}

  /** Other members (the registry's member token) or admin keys: bundle downloads. */
  record Member() implements Rule {}

  /**
   * Admin keys, or a key of the app {@code appOf} finds for the request with at least {@code least}'s
   * rights. {@code appOf} answers null when the request names no app it can find: then only admin
   * keys pass (the handler answers the 404 or 400), so a scoped key learns nothing of other apps.
   */
  record OfApp(Role least, Function<RoutingContext, Future<String>> appOf) implements Rule {}

  /** Anyone when {@code open} holds for the request (a public trigger), else {@code otherwise}. */
  record OpenWhen(Predicate<RoutingContext> open, Rule otherwise) implements Rule {}
}
