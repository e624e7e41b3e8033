package io.cleave.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.model.App;
import io.cleave.common.model.Trigger;
import io.cleave.registry.AppRegistry;
import io.cleave.registry.Page;
import io.cleave.common.model.TriggerPatch;
import io.cleave.registry.TriggerRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** Fn's {@code /v2/triggers} routes, for a deploy key of the trigger's app. */
final class TriggersRoutes {
  private final Routing routing;
  private final TriggerRegistry triggers;
  private final AppRegistry apps;

  TriggersRoutes(Routing routing, TriggerRegistry triggers, AppRegistry apps) {
    this.routing = routing;
    this.triggers = triggers;
    this.apps = apps;
  }

  void mount(Router r) {
    Rule ofTrigger = new Rule.OfApp(Role.DEPLOY, AppOf.trigger(triggers, "triggerId"));
    routing.on(r, HttpMethod.GET, "/v2/triggers", new Rule.OfApp(Role.DEPLOY, AppOf.query("app_id")), this::list);
    routing.on(r, HttpMethod.POST, "/v2/triggers", new Rule.OfApp(Role.DEPLOY, AppOf.body()), this::create);
    routing.on(r, HttpMethod.GET, "/v2/triggers/:triggerId", ofTrigger, this::get);
    routing.on(r, HttpMethod.PUT, "/v2/triggers/:triggerId", ofTrigger, this::update);
    routing.on(r, HttpMethod.DELETE, "/v2/triggers/:triggerId", ofTrigger, this::delete);
  }

  /** A trigger as Fn shows it: with its HTTP endpoint as this request reached the API. */
  private ObjectNode view(RoutingContext ctx, Trigger t) {
    return Views.trigger(t, apps.app(t.appId()).map(App::name).orElse(null), routing.baseUrl(ctx));
  }

  private void list(RoutingContext ctx) {
    String appId = ctx.request().getParam("app_id");
    if (appId == null || appId.isEmpty()) {
      throw new ApiError(400, "Missing App ID on Trigger");
    }
    Routing.Paging p = Routing.paging(ctx);
    String fnId = ctx.request().getParam("fn_id");
    String appName = apps.app(appId).map(App::name).orElse(null);
    String base = routing.baseUrl(ctx);
    Page<Trigger> page = triggers.listTriggers(appId, fnId == null || fnId.isEmpty() ? null : fnId,
        ctx.request().getParam("name"), p.cursor(), p.perPage());
    Replies.json(ctx, 200, Views.page(page, t -> Views.trigger(t, appName, base)));
  }

  private void create(RoutingContext ctx) {
    TriggerPatch p = Bodies.trigger(ctx.body().buffer());
    routing.blocking(ctx, () -> triggers.createTrigger(p), t -> Replies.json(ctx, 200, view(ctx, t)));
  }

  private void get(RoutingContext ctx) {
    Trigger t = triggers.trigger(ctx.pathParam("triggerId")).orElseThrow(() -> new ApiError(404, "Trigger not found"));
    Replies.json(ctx, 200, view(ctx, t));
  }

  private void update(RoutingContext ctx) {
    TriggerPatch p = Bodies.trigger(ctx.body().buffer());
    routing.blocking(ctx, () -> triggers.updateTrigger(ctx.pathParam("triggerId"), p),
        t -> Replies.json(ctx, 200, view(ctx, t)));
  }

  private void delete(RoutingContext ctx) {
    routing.blocking(ctx, () -> {
      triggers.deleteTrigger(ctx.pathParam("triggerId"));
      return true;
    }, x -> Replies.noContent(ctx));
  }
}
