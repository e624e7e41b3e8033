package io.cleave.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.flow.FlowRun;
import io.cleave.common.flow.FlowRuns;
import io.cleave.common.flow.FlowStatus;
import io.cleave.common.json.Json;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Cleave's {@code /cleave/v1/runs} routes: runs of flows (list, get, cancel). */
final class FlowRunsRoutes {
  private final Routing routing;
  private final FlowRuns runs;

  /** {@code runs} is null on a node without an invoker: these routes then answer 503. */
  FlowRunsRoutes(Routing routing, FlowRuns runs) {
    this.routing = routing;
    this.runs = runs;
  }

  void mount(Router r) {
    // A run belongs to its flow's app; one this node does not know names no app (admin keys only).
    Rule ofRun = new Rule.OfApp(Role.DEPLOY, ctx -> runs == null ? Future.succeededFuture(null)
        : runs.get(ctx.pathParam("runId")).map(FlowRun::appId).otherwise((String) null));
    routing.on(r, HttpMethod.GET, "/cleave/v1/runs", new Rule.OfApp(Role.DEPLOY, AppOf.query("app_id")), this::list);
    routing.on(r, HttpMethod.GET, "/cleave/v1/runs/:runId", ofRun, ctx -> answer(ctx, engine().get(ctx.pathParam("runId"))));
    routing.on(r, HttpMethod.POST, "/cleave/v1/runs/:runId/cancel", ofRun,
        ctx -> answer(ctx, engine().cancel(ctx.pathParam("runId"))));
  }

  private void list(RoutingContext ctx) {
    answerList(ctx, engine().list(ctx.request().getParam("app_id"), ctx.request().getParam("flow_id"),
        Routing.paging(ctx).perPage()));
  }

  private FlowRuns engine() {
    if (runs == null) {
      throw new ApiError(503, "no invoker on this node: flows cannot run here");
    }
    return runs;
  }

  private static void answer(RoutingContext ctx, Future<FlowRun> pending) {
    pending.onComplete(Routing.guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
      } else {
        Replies.json(ctx, 200, view(ar.result()));
      }
    }));
  }

  static void answerList(RoutingContext ctx, Future<List<FlowRun>> pending) {
    pending.onComplete(Routing.guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
        return;
      }
      ObjectNode o = Json.MAPPER.createObjectNode();
      var items = o.putArray("items");
      ar.result().forEach(run -> items.add(view(run)));
      Replies.json(ctx, 200, o);
    }));
  }

  /** A run that waited answers 200 when it succeeded, 502 when it failed or was cancelled (with the run as body). */
  static int status(FlowRun run) {
    return run.status() == FlowStatus.SUCCEEDED ? 200 : 502;
  }

  /** The run as JSON; an ended run that did not succeed also carries Fn's {@code message}. */
  static ObjectNode view(FlowRun run) {
    ObjectNode o = Json.MAPPER.valueToTree(run);
    if (run.status() == FlowStatus.FAILED || run.status() == FlowStatus.CANCELLED) {
      o.put("message", "flow run " + run.id() + " " + run.status().wireName()
          + (run.error() == null ? "" : ": " + run.error()));
    }
    return o;
  }
}
