package io.cleave.gateway;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.App;
import io.cleave.common.model.AppPatch;
import io.cleave.registry.AppRegistry;
import io.cleave.registry.Page;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** Fn's {@code /v2/apps} routes. */
final class AppsRoutes {
  private final Routing routing;
  private final AppRegistry apps;

  AppsRoutes(Routing routing, AppRegistry apps) {
    this.routing = routing;
    this.apps = apps;
  }

  void mount(Router r) {
    routing.on(r, HttpMethod.GET, "/v2/apps", this::list);
    routing.on(r, HttpMethod.POST, "/v2/apps", this::create);
    routing.on(r, HttpMethod.GET, "/v2/apps/:appId", this::get);
    routing.on(r, HttpMethod.PUT, "/v2/apps/:appId", this::update);
    routing.on(r, HttpMethod.DELETE, "/v2/apps/:appId", this::delete);
  }

  private void list(RoutingContext ctx) {
    Routing.Paging p = Routing.paging(ctx);
    Page<App> page = apps.listApps(ctx.request().getParam("name"), p.cursor(), p.perPage());
    Replies.json(ctx, 200, Views.page(page, Views::app));
  }

  private void create(RoutingContext ctx) {
    AppPatch p = Bodies.app(ctx.body().buffer());
    routing.blocking(ctx, () -> apps.createApp(p), a -> Replies.json(ctx, 200, Views.app(a)));
  }

  private void get(RoutingContext ctx) {
    App app = apps.app(ctx.pathParam("appId")).orElseThrow(() -> new ApiError(404, "App not found"));
    Replies.json(ctx, 200, Views.app(app));
  }

  private void update(RoutingContext ctx) {
    AppPatch p = Bodies.app(ctx.body().buffer());
    routing.blocking(ctx, () -> apps.updateApp(ctx.pathParam("appId"), p), a -> Replies.json(ctx, 200, Views.app(a)));
  }

  private void delete(RoutingContext ctx) {
    routing.blocking(ctx, () -> {
      apps.deleteApp(ctx.pathParam("appId"));
      return true;
    }, x -> Replies.noContent(ctx));
  }
}
