package io.cleave.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.flow.Flow;
import io.cleave.common.flow.FlowPatch;
import io.cleave.common.flow.FlowRun;
import io.cleave.common.flow.FlowRuns;
import io.cleave.common.json.Json;
import io.cleave.registry.AppRegistry;
import io.cleave.registry.FlowRegistry;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Function;

/**
 * Cleave's {@code /cleave/v1/flows} routes: flows (workflows) of an app, and starting runs of
 * them. The run routes themselves are {@link FlowRunsRoutes}.
 */
final class FlowsRoutes {
  private static final String NO_ENGINE = "an invoker on this node";

  private final Routing routing;
  private final FlowRegistry flows;
  private final AppRegistry apps;
  private final FlowRuns runs;

  /** {@code runs} is null on a node without an invoker: runs then answer 503. */
  FlowsRoutes(Routing routing, FlowRegistry flows, AppRegistry apps, FlowRuns runs) {
    this.routing = routing;
    this.flows = flows;
    this.apps = apps;
    this.runs = runs;
  }

  void mount(Router r) {
    routing.bodyLimit(r, "/cleave/v1/flows*", routing.config().invokeBodyLimit());
    // Flows are managed like the app's functions; starting a run is calling them.
    Function<RoutingContext, Future<String>> appOfFlow =
        ctx -> Future.succeededFuture(flows.flow(ctx.pathParam("flowId")).map(Flow::appId).orElse(null));
    Rule manage = new Rule.OfApp(Role.DEPLOY, appOfFlow);
    routing.on(r, HttpMethod.GET, "/cleave/v1/flows", new Rule.OfApp(Role.DEPLOY, AppOf.query("app_id")), this::list);
    routing.on(r, HttpMethod.POST, "/cleave/v1/flows", new Rule.OfApp(Role.DEPLOY, AppOf.body()), this::create);
    routing.on(r, HttpMethod.GET, "/cleave/v1/flows/:flowId", manage, this::get);
    routing.on(r, HttpMethod.PUT, "/cleave/v1/flows/:flowId", manage, this::update);
    routing.on(r, HttpMethod.DELETE, "/cleave/v1/flows/:flowId", manage, this::delete);
    routing.on(r, HttpMethod.POST, "/cleave/v1/flows/:flowId/runs", new Rule.OfApp(Role.INVOKE, appOfFlow), this::start);
    routing.on(r, HttpMethod.GET, "/cleave/v1/flows/:flowId/runs", manage, this::runsOfFlow);
  }

  private void list(RoutingContext ctx) {
    String appId = ctx.request().getParam("app_id");
    if (appId == null || appId.isEmpty()) {
      throw new ApiError(400, "Missing app_id query parameter");
    }
    apps.app(appId).orElseThrow(() -> new ApiError(404, "App not found"));
    Routing.Paging p = Routing.paging(ctx);
    Replies.json(ctx, 200, Views.page(flows.listFlows(appId, ctx.request().getParam("name"), p.cursor(), p.perPage()),
        FlowsRoutes::view));
  }

  private void create(RoutingContext ctx) {
    FlowPatch p = patch(ctx.body().buffer());
    afterForkEdgesChecked(ctx, p.appId(), p, () -> routing.blocking(ctx, () -> flows.createFlow(p, forkUnavailable()),
        f -> Replies.json(ctx, 200, view(f))));
  }

  private void get(RoutingContext ctx) {
    Replies.json(ctx, 200, view(flow(ctx)));
  }

  private void update(RoutingContext ctx) {
    FlowPatch p = patch(ctx.body().buffer());
    String appId = flows.flow(ctx.pathParam("flowId")).map(Flow::appId).orElse(null);
    afterForkEdgesChecked(ctx, appId, p, () -> routing.blocking(ctx,
        () -> flows.updateFlow(ctx.pathParam("flowId"), p, forkUnavailable()), f -> Replies.json(ctx, 200, view(f))));
  }

  /**
   * Runs {@code then} once the engine found both ends of every fork edge on one runtime, or
   * answers its refusal (400) and changes nothing.
   */
  private void afterForkEdgesChecked(RoutingContext ctx, String appId, FlowPatch p, Runnable then) {
    if (runs == null || appId == null || p.steps() == null) {
      then.run(); // the flow's own checks answer
      return;
    }
    runs.checkForkEdges(appId, p.steps()).onComplete(Routing.guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
      } else {
        then.run();
      }
    }));
  }

  private void delete(RoutingContext ctx) {
    routing.blocking(ctx, () -> {
      flows.deleteFlow(ctx.pathParam("flowId"));
      return true;
    }, x -> Replies.noContent(ctx));
  }

  /** Waits for the run's end, or with {@code Fn-Invoke-Type: detached} answers 202 once it is stored. */
  private void start(RoutingContext ctx) {
    Flow flow = flow(ctx);
    JsonNode input = input(ctx.body().buffer());
    FlowRuns engine = requireEngine();
    boolean detached = "detached".equalsIgnoreCase(ctx.request().getHeader("Fn-Invoke-Type"));
    (detached ? engine.submit(flow, input) : engine.run(flow, input)).onComplete(Routing.guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
        return;
      }
      FlowRun run = ar.result();
      ctx.response().putHeader("Cleave-Run-Id", run.id());
      Replies.json(ctx, detached ? 202 : FlowRunsRoutes.status(run), FlowRunsRoutes.view(run));
    }));
  }

  private void runsOfFlow(RoutingContext ctx) {
    Flow flow = flow(ctx);
    FlowRunsRoutes.answerList(ctx, requireEngine().list(flow.appId(), flow.id(), Routing.paging(ctx).perPage()));
  }

  private Flow flow(RoutingContext ctx) {
    return flows.flow(ctx.pathParam("flowId")).orElseThrow(() -> new ApiError(404, "Flow not found"));
  }

  private Optional<String> forkUnavailable() {
    return runs == null ? Optional.of(NO_ENGINE) : runs.forkUnavailable();
  }

  private FlowRuns requireEngine() {
    if (runs == null) {
      throw new ApiError(503, "no invoker on this node: flows cannot run here");
    }
    return runs;
  }

  static ObjectNode view(Flow f) {
    return Json.MAPPER.valueToTree(f);
  }

  private static FlowPatch patch(Buffer body) {
    ObjectNode o = Bodies.object(body);
    try {
      return Json.MAPPER.treeToValue(o, FlowPatch.class);
    } catch (IOException | IllegalArgumentException e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof ApiError)) {
        cause = cause.getCause();
      }
      if (cause instanceof ApiError api) {
        throw api;
      }
      String detail = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw Bodies.invalid(detail.lines().findFirst().orElse("unreadable flow"));
    }
  }

  /** The run's input: any JSON value; an empty body is null. */
  private static JsonNode input(Buffer body) {
    if (body == null || body.length() == 0) {
      return NullNode.getInstance();
    }
    try {
      JsonNode node = Json.MAPPER.readTree(body.getBytes());
      return node == null ? NullNode.getInstance() : node;
    } catch (IOException e) {
      throw Bodies.invalid("a run's input must be JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
  }
}
