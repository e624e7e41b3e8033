package io.cleave.gateway;

import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.model.App;
import io.cleave.common.model.AppPatch;
import io.cleave.registry.AppRegistry;
import io.cleave.registry.Page;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Fn's {@code /v2/apps} routes: creating and deleting apps takes an admin key, the rest a deploy key of the app. */
final class AppsRoutes {
  private final Routing routing;
  private final AppRegistry apps;

  AppsRoutes(Routing routing, AppRegistry apps) {
    this.routing = routing;
    this.apps = apps;
  }

  void mount(Router r) {
    Rule ofApp = new Rule.OfApp(Role.DEPLOY, AppOf.pathParam("appId"));
    routing.on(r, HttpMethod.GET, "/v2/apps", new Rule.OfApp(Role.DEPLOY, AppOf.callersOwn(routing.access())),
        this::list);
    routing.on(r, HttpMethod.POST, "/v2/apps", new Rule.Admin(), this::create);
    routing.on(r, HttpMethod.GET, "/v2/apps/:appId", ofApp, this::get);
    routing.on(r, HttpMethod.PUT, "/v2/apps/:appId", ofApp, this::update);
    routing.on(r, HttpMethod.DELETE, "/v2/apps/:appId", new Rule.Admin(), this::delete);
  }

  /** Every app for an admin key; a deploy key sees its own app only (as a page of one, or none). */
  private void list(RoutingContext ctx) {
    Caller caller = routing.access().caller(ctx).orElseThrow();
    String name = ctx.request().getParam("name");
    Page<App> page;
    if (caller.admin()) {
      Routing.Paging p = Routing.paging(ctx);
      page = apps.listApps(name, p.cursor(), p.perPage());
    } else {
      List<App> own = apps.app(caller.appId())
          .filter(a -> (name == null || name.isEmpty() || a.name().equals(name)) && ctx.request().getParam("cursor") == null)
          .map(List::of).orElse(List.of());
      page = new Page<>(own, null);
    }
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
