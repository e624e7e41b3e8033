package io.cleave.gateway;

import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Trigger;
import io.cleave.registry.AppRegistry;
import io.cleave.registry.FnRegistry;
import io.cleave.registry.TriggerRegistry;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;

/**
 * How a {@link Rule.OfApp} finds the app a request acts on: the id of the app, or null when the
 * request names none that exists. Registry reads are local, so these complete at once.
 */
final class AppOf {
  private AppOf() {}

  /** The app whose id is the path parameter {@code param}. */
  static Function<RoutingContext, Future<String>> pathParam(String param) {
    return ctx -> Future.succeededFuture(ctx.pathParam(param));
  }

  /** The app whose id is the query parameter {@code param}. */
  static Function<RoutingContext, Future<String>> query(String param) {
    return ctx -> Future.succeededFuture(ctx.request().getParam(param));
  }

  /** The app a create request's JSON body names in {@code app_id}. */
  static Function<RoutingContext, Future<String>> body() {
    return ctx -> Future.succeededFuture(Access.appIdInBody(ctx));
  }

  /** The app of the function whose id is the path parameter {@code param}. */
  static Function<RoutingContext, Future<String>> fn(FnRegistry fns, String param) {
    return ctx -> Future.succeededFuture(fns.fn(ctx.pathParam(param)).map(Fn::appId).orElse(null));
  }

  /** The app of the function whose id is the query parameter {@code param}. */
  static Function<RoutingContext, Future<String>> fnInQuery(FnRegistry fns, String param) {
    return ctx -> {
      String fnId = ctx.request().getParam(param);
      return Future.succeededFuture(fnId == null ? null : fns.fn(fnId).map(Fn::appId).orElse(null));
    };
  }

  /** The app of the trigger whose id is the path parameter {@code param}. */
  static Function<RoutingContext, Future<String>> trigger(TriggerRegistry triggers, String param) {
    return ctx -> Future.succeededFuture(triggers.trigger(ctx.pathParam(param)).map(Trigger::appId).orElse(null));
  }

  /** The app whose name is the path parameter {@code param} (trigger URLs name apps). */
  static Function<RoutingContext, Future<String>> named(AppRegistry apps, String param) {
    return ctx -> Future.succeededFuture(apps.appByName(ctx.pathParam(param)).map(App::id).orElse(null));
  }

  /** The caller's own app: for lists, which the route then cuts down to that app. */
  static Function<RoutingContext, Future<String>> callersOwn(Access access) {
    return ctx -> Future.succeededFuture(access.caller(ctx).map(Caller::appId).orElse(null));
  }
}
