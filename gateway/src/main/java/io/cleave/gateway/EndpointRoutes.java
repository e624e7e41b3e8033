package io.cleave.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.json.Json;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.registry.AppRegistry;
import io.cleave.registry.FnRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /cleave/v1/apps/{app}/fns/{fn}/endpoint}: where a function is called, by its app's and
 * its own name. An invoke key may call its app's functions but read nothing of them (their config
 * may hold secrets), so this answers only what a call needs: the ids, the timeout and the invoke
 * endpoint; {@code cleave invoke APP FN} asks it, so it works with any key that may call.
 */
final class EndpointRoutes {
  private final Routing routing;
  private final AppRegistry apps;
  private final FnRegistry fns;

  EndpointRoutes(Routing routing, AppRegistry apps, FnRegistry fns) {
    this.routing = routing;
    this.apps = apps;
    this.fns = fns;
  }

  void mount(Router r) {
    routing.on(r, HttpMethod.GET, "/cleave/v1/apps/:app/fns/:fn/endpoint",
        new Rule.OfApp(Role.INVOKE, AppOf.named(apps, "app")), this::endpoint);
  }

  private void endpoint(RoutingContext ctx) {
    String appName = ctx.pathParam("app");
    String fnName = ctx.pathParam("fn");
    App app = apps.appByName(appName).orElseThrow(() -> new ApiError(404, "app " + appName + " not found"));
    Fn fn = fns.listFns(app.id(), fnName, null, 1).items().stream().findFirst()
        .orElseThrow(() -> new ApiError(404, "function " + fnName + " not found in app " + appName));
    ObjectNode o = Json.MAPPER.createObjectNode().put("app_id", app.id()).put("app_name", app.name())
        .put("fn_id", fn.id()).put("fn_name", fn.name()).put("timeout", fn.timeout())
        .put("invoke_endpoint", routing.baseUrl(ctx) + "/invoke/" + fn.id());
    Replies.json(ctx, 200, o);
  }
}
