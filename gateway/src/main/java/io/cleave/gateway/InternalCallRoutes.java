package io.cleave.gateway;

import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.registry.FnRegistry;
import io.cleave.registry.FnTarget;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * {@code POST /cleave/v1/internal/calls/{fn_id}}: a call another member forwarded because it was
 * full, or that its detached queue handed on ({@value #DETACHED}: run at most once per call id
 * here). Only members may use it (they present the cluster secret); the call runs on this node's own
 * invoker, never forwarded again, and the answer goes back untranslated: the forwarding gateway
 * shapes it for its client. Headers on the request are the ones the FDK sees (already translated).
 */
final class InternalCallRoutes {
  static final String PATH = "/cleave/v1/internal/calls/:fnId";
  static final String SECRET = "Cleave-Cluster-Secret";
  static final String CALL_ID = "Cleave-Call-Id";
  /** Present on a call from a member's detached queue: it runs at most once per call id here. */
  static final String DETACHED = "Cleave-Detached";
  /** {@code answer}: the function's own answer follows; {@code error}: the platform's {"message"}. */
  static final String OUTCOME = "Cleave-Outcome";

  private final Routing routing;
  private final FnRegistry fns;
  private final FunctionInvoker local;
  private final byte[] secret;

  /** {@code local} is this node's own invoker (null without one); {@code secret} "" turns the route off. */
  InternalCallRoutes(Routing routing, FnRegistry fns, FunctionInvoker local, String secret) {
    this.routing = routing;
    this.fns = fns;
    this.local = local;
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
  }

  void mount(Router r) {
    // No API key: members prove themselves with the cluster secret, checked below.
    routing.on(r, HttpMethod.POST, PATH, new Rule.Open(), this::call);
  }

  private void call(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    if (secret.length == 0) {
      throw new ApiError(404, "Path not found: POST " + req.path() + " (this node takes no forwarded calls)");
    }
    String presented = req.getHeader(SECRET);
    if (presented == null) {
      throw new ApiError(401, "forwarded calls need the cluster secret (" + SECRET + ")");
    }
    if (!MessageDigest.isEqual(secret, presented.getBytes(StandardCharsets.UTF_8))) {
      throw new ApiError(403, "wrong cluster secret");
    }
    // From here on the answer is this member's word on the call (a 404 means the function is gone
    // from the cluster), marked an error unless the function's answer replaces the mark; answers
    // without the mark (the refusals above, a proxy's) tell the sender its call was not delivered.
    ctx.response().putHeader(OUTCOME, "error");
    if (local == null) {
      throw new ApiError(503, "no invoker on this node");
    }
    FnTarget target = fns.target(ctx.pathParam("fnId")).orElseThrow(() -> new ApiError(404, "Fn not found"));
    Map<String, List<String>> headers = CallRoutes.clientHeaders(ctx, routing.access(), UnaryOperator.identity());
    headers.keySet().removeIf(name -> name.equalsIgnoreCase(SECRET) || name.equalsIgnoreCase(CALL_ID)
        || name.equalsIgnoreCase(DETACHED));
    String id = req.getHeader(CALL_ID) == null ? Routing.callId(ctx) : req.getHeader(CALL_ID);
    Buffer body = ctx.body() == null || ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer();
    Call call = new Call(id, target.app(), target.fn(), "POST", req.absoluteURI(), headers, body, Instant.now());
    boolean detached = req.getHeader(DETACHED) != null;
    // The same answer path as invoke.
    CallRoutes.answer(ctx, detached ? local.runDetached(call) : local.call(call), (result, resp) -> {
      result.headers().forEach(resp::putHeader);
      resp.putHeader(OUTCOME, "answer");
      return result.status();
    });
  }
}
