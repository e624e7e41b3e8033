package io.cleave.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.registry.AppRegistry;
import io.cleave.common.model.FnPatch;
import io.cleave.registry.FnRegistry;
import io.cleave.registry.Page;
import io.cleave.registry.bundle.BundleFiles;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Fn's {@code /v2/fns} routes (a deploy key of the function's app), and the 410s of Fn's removed calls API under them. */
final class FnsRoutes {
  private final Routing routing;
  private final FnRegistry fns;
  private final AppRegistry apps;
  private final BundleFiles bundles;

  FnsRoutes(Routing routing, FnRegistry fns, AppRegistry apps, BundleFiles bundles) {
    this.routing = routing;
    this.fns = fns;
    this.apps = apps;
    this.bundles = bundles;
  }

  void mount(Router r) {
    Rule ofFn = new Rule.OfApp(Role.DEPLOY, AppOf.fn(fns, "fnId"));
    routing.on(r, HttpMethod.GET, "/v2/fns", new Rule.OfApp(Role.DEPLOY, AppOf.query("app_id")), this::list);
    routing.on(r, HttpMethod.POST, "/v2/fns", new Rule.OfApp(Role.DEPLOY, AppOf.body()), this::create);
    routing.on(r, HttpMethod.GET, "/v2/fns/:fnId", ofFn, this::get);
    routing.on(r, HttpMethod.PUT, "/v2/fns/:fnId", ofFn, this::update);
    routing.on(r, HttpMethod.DELETE, "/v2/fns/:fnId", ofFn, this::delete);
    // Fn removed its calls API and answers 410 Gone on these paths (with an empty body; Cleave says where to look).
    for (String gone : List.of("/v2/fns/:fnId/calls", "/v2/fns/:fnId/calls/:callId", "/v2/fns/:fnId/calls/:callId/log")) {
      routing.on(r, HttpMethod.GET, gone, ofFn, ctx -> Replies.error(ctx, 410, "Gone: " + Routing.describe(ctx)
          + " (Fn's calls API was removed; Cleave's call records are at /cleave/v1/activations?fn_id=<fn id>)"));
    }
  }

  /** A function as Fn shows it: with its app's shape and its invoke endpoint as this request reached the API. */
  ObjectNode view(RoutingContext ctx, Fn f) {
    return Views.fn(f, apps.app(f.appId()).map(App::shape).orElse(null), routing.baseUrl(ctx));
  }

  private void list(RoutingContext ctx) {
    String appId = ctx.request().getParam("app_id");
    if (appId == null || appId.isEmpty()) {
      throw new ApiError(400, "Missing AppID on Fn");
    }
    Routing.Paging p = Routing.paging(ctx);
    String base = routing.baseUrl(ctx);
    Page<Fn> page = fns.listFns(appId, ctx.request().getParam("name"), p.cursor(), p.perPage());
    String shape = apps.app(appId).map(App::shape).orElse(null);
    Replies.json(ctx, 200, Views.page(page, f -> Views.fn(f, shape, base)));
  }

  private void create(RoutingContext ctx) {
    FnPatch p = Bodies.fn(ctx.body().buffer());
    routing.blocking(ctx, () -> fns.createFn(p, bundles::held), f -> Replies.json(ctx, 200, view(ctx, f)));
  }

  private void get(RoutingContext ctx) {
    Fn fn = fns.fn(ctx.pathParam("fnId")).orElseThrow(() -> new ApiError(404, "Fn not found"));
    Replies.json(ctx, 200, view(ctx, fn));
  }

  private void update(RoutingContext ctx) {
    FnPatch p = Bodies.fn(ctx.body().buffer());
    routing.blocking(ctx, () -> fns.updateFn(ctx.pathParam("fnId"), p, bundles::held),
        f -> Replies.json(ctx, 200, view(ctx, f)));
  }

  private void delete(RoutingContext ctx) {
    routing.blocking(ctx, () -> {
      fns.deleteFn(ctx.pathParam("fnId"));
      return true;
    }, x -> Replies.noContent(ctx));
  }
}
