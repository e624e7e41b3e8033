package io.cleave.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.FnActivities;
import io.cleave.common.invoke.FnActivity;
import io.cleave.common.json.Json;
import io.cleave.registry.FnRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one function does on this node, for the console: {@code GET /cleave/v1/fns/{id}/activity}
 * once, and {@code GET /cleave/v1/fns/{id}/live}, a server-sent-events feed of the same each
 * second with the calls that ended in that second by start mode. The feed is read with {@code
 * fetch} (it needs the Authorization header, which EventSource cannot send) and ends after {@link
 * #FEED_SECONDS}; the console then opens it again.
 */
final class ActivityRoutes {
  static final int FEED_SECONDS = 300;
  private static final long TICK_MS = 1000;

  private final Routing routing;
  private final FnRegistry fns;
  private final FnActivities activities;

  /** {@code activities} is null on a node without an invoker: the routes then answer 503. */
  ActivityRoutes(Routing routing, FnRegistry fns, FnActivities activities) {
    this.routing = routing;
    this.fns = fns;
    this.activities = activities;
  }

  void mount(Router r) {
    Rule ofFn = new Rule.OfApp(Role.DEPLOY, AppOf.fn(fns, "fnId"));
    routing.on(r, HttpMethod.GET, "/cleave/v1/fns/:fnId/activity", ofFn, this::once);
    routing.on(r, HttpMethod.GET, "/cleave/v1/fns/:fnId/live", ofFn, this::feed);
  }

  private FnActivities source(RoutingContext ctx) {
    String fnId = ctx.pathParam("fnId");
    if (fns.fn(fnId).isEmpty()) {
      throw new ApiError(404, "Fn not found");
    }
    if (activities == null) {
      throw new ApiError(503, "no invoker on this node");
    }
    return activities;
  }

  private void once(RoutingContext ctx) {
    source(ctx).activity(ctx.pathParam("fnId")).onComplete(Routing.guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
      } else {
        Replies.json(ctx, 200, Json.MAPPER.valueToTree(ar.result()));
      }
    }));
  }

  private void feed(RoutingContext ctx) {
    FnActivities source = source(ctx);
    String fnId = ctx.pathParam("fnId");
    HttpServerResponse resp = ctx.response();
    resp.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-store").putHeader("X-Accel-Buffering", "no");
    Map<String, Long> last = new HashMap<>();
    boolean[] first = {true};
    long ends = System.currentTimeMillis() + FEED_SECONDS * 1000L;
    long timer = routing.vertx().setPeriodic(1, TICK_MS, id -> {
      if (resp.ended() || resp.closed()) {
        routing.vertx().cancelTimer(id);
        return;
      }
      if (System.currentTimeMillis() >= ends) {
        routing.vertx().cancelTimer(id);
        resp.end();
        return;
      }
      source.activity(fnId).onSuccess(a -> {
        if (!resp.ended() && !resp.closed()) {
          resp.write(Buffer.buffer("event: activity\ndata: ").appendBytes(Json.toBytes(event(a, last, first[0])))
              .appendString("\n\n"));
          first[0] = false;
        }
      });
    });
    resp.closeHandler(v -> routing.vertx().cancelTimer(timer));
  }

  /**
   * The activity as JSON with {@code per_second}: calls by outcome since the previous tick
   * (none on the first, which only sets the baseline; a count that went down started again).
   */
  static ObjectNode event(FnActivity a, Map<String, Long> last, boolean first) {
    Map<String, Long> perSecond = new TreeMap<>();
    a.calls().forEach((outcome, total) -> {
      long before = last.getOrDefault(outcome, 0L);
      long delta = total >= before ? total - before : total;
      if (!first && delta > 0) {
        perSecond.put(outcome, delta);
      }
    });
    last.clear();
    last.putAll(a.calls());
    ObjectNode o = Json.MAPPER.valueToTree(a);
    o.put("t", Json.formatTime(Instant.now()));
    o.set("per_second", Json.MAPPER.valueToTree(perSecond));
    return o;
  }
}
