package io.cleave.gateway;

import io.cleave.common.access.Role;
import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.registry.AppRegistry;
import io.cleave.registry.FnRegistry;
import io.cleave.registry.FnTarget;
import io.cleave.registry.TriggerRegistry;
import io.cleave.registry.TriggerRoute;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntBiFunction;
import java.util.function.UnaryOperator;

/**
 * Calls of functions: {@code POST /invoke/{fn_id}} and {@code ANY /t/{app}/{source}}, handed to the
 * {@link FunctionInvoker} and answered on one path; they differ only in how headers cross
 * (docs/CONTRACTS.md, gateway → invoker).
 */
final class CallRoutes {
  private static final String TRIGGER_ROUTE = "/t/:app/*";
  /** Hop-by-hop and framing headers that never cross the gateway. */
  private static final Set<String> HOP_HEADERS = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade", "content-length", "host");
  private static final String FN_HTTP_H = "fn-http-h-";
  /**
   * Headers only the platform sets on a call (Fn's http-stream contract: call id, deadline, intent
   * and the HTTP trigger's Fn-Http-*; the FDK's own Fn-Fdk-*; members' forwarding headers): a
   * client's are dropped, so the function never sees forged ones.
   */
  private static final Set<String> PLATFORM_HEADERS = Set.of("fn-call-id", "fn-deadline", "fn-intent",
      InternalCallRoutes.SECRET.toLowerCase(Locale.ROOT), InternalCallRoutes.CALL_ID.toLowerCase(Locale.ROOT),
      InternalCallRoutes.DETACHED.toLowerCase(Locale.ROOT));
  private static final List<String> PLATFORM_HEADER_PREFIXES = List.of("fn-http-", "fn-fdk-");

  /**
   * A trigger is the function's published HTTP endpoint, callable by anyone as in Fn (a function
   * URL with auth type NONE); this annotation {@code false} makes it need an invoke key of the app
   * or better (auth type IAM). {@code /invoke/{fn_id}} always needs one.
   */
  static final String PUBLIC = "cleave.io/public";

  private final Routing routing;
  private final AppRegistry apps;
  private final FnRegistry fns;
  private final TriggerRegistry triggers;
  private final FunctionInvoker invoker;

  /** {@code invoker} is null on a node without one: calls then answer 503. */
  CallRoutes(Routing routing, AppRegistry apps, FnRegistry fns, TriggerRegistry triggers, FunctionInvoker invoker) {
    this.routing = routing;
    this.apps = apps;
    this.fns = fns;
    this.triggers = triggers;
    this.invoker = invoker;
  }

  void mount(Router r) {
    routing.on(r, HttpMethod.POST, "/invoke/:fnId", new Rule.OfApp(Role.INVOKE, AppOf.fn(fns, "fnId")), this::invoke);
    Rule triggerCall = new Rule.OpenWhen(this::publicTrigger, new Rule.OfApp(Role.INVOKE, AppOf.named(apps, "app")));
    routing.onAny(r, "/t/:app", TRIGGER_ROUTE, triggerCall, this::trigger);
    routing.onAny(r, "/t/:app/*", TRIGGER_ROUTE, triggerCall, this::trigger);
  }

  /**
   * Whether the request is for a public trigger: one that exists and is not annotated
   * {@value #PUBLIC} {@code false}. Anyone may call those (README "Access control").
   */
  private boolean publicTrigger(RoutingContext ctx) {
    return triggers.route(ctx.pathParam("app"), source(ctx.request())).map(route -> {
      Object flag = route.trigger().annotations() == null ? null : route.trigger().annotations().get(PUBLIC);
      return !Boolean.FALSE.equals(flag) && !"false".equals(flag);
    }).orElse(false);
  }

  /** The trigger source a {@code /t/{app}/...} request names: its path after the app. */
  private static String source(HttpServerRequest req) {
    String path = req.path();
    int slash = path.indexOf('/', "/t/".length());
    return slash < 0 ? "/" : path.substring(slash);
  }

  private void invoke(RoutingContext ctx) {
    FnTarget target = fns.target(ctx.pathParam("fnId")).orElseThrow(() -> new ApiError(404, "Fn not found"));
    FunctionInvoker inv = requireInvoker();
    Call call = call(ctx, target.app(), target.fn(), callerHeaders(ctx, routing.access(), UnaryOperator.identity()));
    if ("detached".equalsIgnoreCase(ctx.request().getHeader("Fn-Invoke-Type"))) {
      inv.submitDetached(call).onComplete(Routing.guard(ctx, ar -> {
        if (ar.succeeded()) {
          ctx.response().setStatusCode(202).end();
        } else {
          Replies.failure(ctx, ar.cause());
        }
      }));
      return;
    }
    answer(ctx, inv.call(call), CallRoutes::asInvoked);
  }

  private void trigger(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String appName = ctx.pathParam("app");
    String source = source(req);
    if (apps.appByName(appName).isEmpty()) {
      throw new ApiError(404, "App not found");
    }
    TriggerRoute route = triggers.route(appName, source).orElseThrow(() -> new ApiError(404, "Trigger not found"));
    FunctionInvoker inv = requireInvoker();
    // Fn's translation: the client's headers become Fn-Http-H-<Name>, Content-Type stays as it is.
    Map<String, List<String>> headers = callerHeaders(ctx, routing.access(),
        name -> name.equalsIgnoreCase("content-type") ? "Content-Type" : "Fn-Http-H-" + canonical(name));
    headers.put("Fn-Http-Method", List.of(req.method().name()));
    headers.put("Fn-Http-Request-Url", List.of(req.absoluteURI()));
    headers.put("Fn-Intent", List.of("httprequest"));
    answer(ctx, inv.call(call(ctx, route.app(), route.fn(), headers)), CallRoutes::asTriggered);
  }

  /**
   * The one answer path of both routes: the platform's error as an API error, or the function's
   * answer with the headers and status {@code shape} writes, its start mode, and its body.
   */
  static void answer(RoutingContext ctx, Future<CallResult> pending,
      ToIntBiFunction<CallResult, HttpServerResponse> shape) {
    pending.onComplete(Routing.guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
        return;
      }
      CallResult result = ar.result();
      HttpServerResponse resp = ctx.response();
      int status = shape.applyAsInt(result, resp);
      if (result.startMode() != null) {
        resp.putHeader("Cleave-Start-Mode", result.startMode().wireName());
      }
      if (result.node() != null) {
        resp.putHeader("Cleave-Node", result.node());
      }
      resp.setStatusCode(status).end(result.body() == null ? Buffer.buffer() : result.body());
    }));
  }

  /** An invoke's answer: the function's headers as they are (its own call id aside), its status. */
  private static int asInvoked(CallResult result, HttpServerResponse resp) {
    result.headers().forEach((name, values) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!HOP_HEADERS.contains(lower) && !lower.equals("fn-call-id")) {
        resp.putHeader(name, values);
      }
    });
    return result.status();
  }

  /**
   * A trigger's answer, translated back as Fn does: {@code Fn-Http-H-<Name>} become headers,
   * {@code Fn-Http-Status} the status (a function error wins), other headers but Content-Type stay inside.
   */
  private static int asTriggered(CallResult result, HttpServerResponse resp) {
    int userStatus = 0;
    for (var e : result.headers().entrySet()) {
      String name = e.getKey();
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.startsWith(FN_HTTP_H) && name.length() > FN_HTTP_H.length()) {
        resp.putHeader(name.substring(FN_HTTP_H.length()), e.getValue());
      } else if (lower.equals("fn-http-status") && !e.getValue().isEmpty()) {
        try {
          userStatus = Integer.parseInt(e.getValue().get(0).trim());
        } catch (NumberFormatException ignored) {
          userStatus = 0; // Fn ignores an unparsable status
        }
      } else if (lower.equals("content-type")) {
        resp.putHeader("Content-Type", e.getValue());
      }
    }
    if (result.status() >= 400) {
      return result.status();
    }
    return userStatus >= 100 && userStatus <= 599 ? userStatus : 200;
  }

  private static Call call(RoutingContext ctx, App app, Fn fn, Map<String, List<String>> headers) {
    HttpServerRequest req = ctx.request();
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    return new Call(Routing.callId(ctx), app, fn, req.method().name(), req.absoluteURI(), headers,
        body == null ? Buffer.buffer() : body, Instant.now());
  }

  /**
   * The client's headers but hop-by-hop ones, each under the name {@code rename} gives it. An
   * Authorization header carrying an API key stays here: functions never see callers' keys, but
   * they do see other credentials (a public trigger's own scheme).
   */
  static Map<String, List<String>> clientHeaders(RoutingContext ctx, Access access, UnaryOperator<String> rename) {
    HttpServerRequest req = ctx.request();
    boolean dropAuthorization = access.consumesAuthorization(ctx);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : req.headers().names()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!HOP_HEADERS.contains(lower) && !(dropAuthorization && lower.equals("authorization"))) {
        headers.put(rename.apply(name), req.headers().getAll(name));
      }
    }
    return headers;
  }

  /**
   * The client's headers but hop-by-hop and platform ones, each under the name {@code rename} gives
   * it. One pass over the request's headers: every call goes through here.
   */
  private static Map<String, List<String>> callerHeaders(RoutingContext ctx, Access access, UnaryOperator<String> rename) {
    HttpServerRequest req = ctx.request();
    boolean dropAuthorization = access.consumesAuthorization(ctx);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : req.headers().names()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!HOP_HEADERS.contains(lower) && !(dropAuthorization && lower.equals("authorization"))
          && !PLATFORM_HEADERS.contains(lower) && !platformPrefixed(lower)) {
        headers.put(rename.apply(name), req.headers().getAll(name));
      }
    }
    return headers;
  }

  private static boolean platformPrefixed(String lower) {
    for (String prefix : PLATFORM_HEADER_PREFIXES) {
      if (lower.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private FunctionInvoker requireInvoker() {
    if (invoker == null) {
      throw new ApiError(503, "no invoker on this node");
    }
    return invoker;
  }

  /** Go's canonical header form (Content-Type, X-Custom-Header), as Fn's FDKs expect. */
  static String canonical(String name) {
    StringBuilder sb = new StringBuilder(name.length());
    boolean upper = true;
    for (char c : name.toCharArray()) {
      sb.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
      upper = c == '-';
    }
    return sb.toString();
  }
}
