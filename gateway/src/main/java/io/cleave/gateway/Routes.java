package io.cleave.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.activation.Activation;
import io.cleave.common.activation.ActivationLog;
import io.cleave.common.activation.ActivationQuery;
import io.cleave.common.bundle.ArchiveRejectedException;
import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.error.ApiError;
import io.cleave.common.id.Ulid;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.json.Json;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.registry.bundle.BundleStore;
import io.cleave.registry.AppPatch;
import io.cleave.registry.FnPatch;
import io.cleave.registry.FnTarget;
import io.cleave.registry.Page;
import io.cleave.registry.Registry;
import io.cleave.registry.TriggerPatch;
import io.cleave.registry.TriggerRoute;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** The gateway's routes; one instance per event loop. */
final class Routes {
  private static final String ROUTE = "cleave.route";
  private static final String CALL_ID = "cleave.call-id";
  /** Hop-by-hop and framing headers that never cross the gateway. */
  private static final Set<String> HOP_HEADERS = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade", "content-length", "host");

  private final Vertx vertx;
  private final Gateway.Parts parts;
  private final Registry registry;
  private final BundleStore bundles;
  private final FunctionInvoker invoker;
  private final ActivationLog activations;
  private final HttpMetrics httpMetrics;
  private final Router router;

  Routes(Vertx vertx, Gateway.Parts parts, HttpMetrics httpMetrics) {
    this.vertx = vertx;
    this.parts = parts;
    this.registry = parts.registry();
    this.bundles = parts.bundles();
    this.invoker = parts.invoker();
    this.activations = parts.activations();
    this.httpMetrics = httpMetrics;
    this.router = build();
  }

  Router router() {
    return router;
  }

  private Router build() {
    Router r = Router.router(vertx);
    r.route().handler(this::begin);

    on(r, HttpMethod.GET, "/", ctx -> Replies.json(ctx, 200,
        Json.MAPPER.createObjectNode().put("hello", "world!").put("goto", "cleave")));
    on(r, HttpMethod.GET, "/version", ctx -> Replies.json(ctx, 200,
        Json.MAPPER.createObjectNode().put("version", parts.version())));
    on(r, HttpMethod.GET, "/metrics", ctx -> ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(parts.metrics().scrape()));

    bodyLimit(r, "/v2/*", parts.config().apiBodyLimit());
    on(r, HttpMethod.GET, "/v2/apps", this::listApps);
    on(r, HttpMethod.POST, "/v2/apps", ctx -> {
      AppPatch p = Bodies.app(ctx.body().buffer());
      blocking(ctx, () -> registry.createApp(p), a -> Replies.json(ctx, 200, Views.app(a)));
    });
    on(r, HttpMethod.GET, "/v2/apps/:appId", ctx -> Replies.json(ctx, 200, Views.app(
        registry.app(ctx.pathParam("appId")).orElseThrow(() -> new ApiError(404, "App not found")))));
    on(r, HttpMethod.PUT, "/v2/apps/:appId", ctx -> {
      AppPatch p = Bodies.app(ctx.body().buffer());
      blocking(ctx, () -> registry.updateApp(ctx.pathParam("appId"), p), a -> Replies.json(ctx, 200, Views.app(a)));
    });
    on(r, HttpMethod.DELETE, "/v2/apps/:appId", ctx ->
        blocking(ctx, () -> { registry.deleteApp(ctx.pathParam("appId")); return true; }, x -> Replies.noContent(ctx)));

    on(r, HttpMethod.GET, "/v2/fns", this::listFns);
    on(r, HttpMethod.POST, "/v2/fns", ctx -> {
      FnPatch p = Bodies.fn(ctx.body().buffer());
      blocking(ctx, () -> registry.createFn(p, bundles::held), f -> Replies.json(ctx, 200, fnView(ctx, f)));
    });
    on(r, HttpMethod.GET, "/v2/fns/:fnId", ctx -> Replies.json(ctx, 200, fnView(ctx,
        registry.fn(ctx.pathParam("fnId")).orElseThrow(() -> new ApiError(404, "Fn not found")))));
    on(r, HttpMethod.PUT, "/v2/fns/:fnId", ctx -> {
      FnPatch p = Bodies.fn(ctx.body().buffer());
      blocking(ctx, () -> registry.updateFn(ctx.pathParam("fnId"), p, bundles::held),
          f -> Replies.json(ctx, 200, fnView(ctx, f)));
    });
    on(r, HttpMethod.DELETE, "/v2/fns/:fnId", ctx ->
        blocking(ctx, () -> { registry.deleteFn(ctx.pathParam("fnId")); return true; }, x -> Replies.noContent(ctx)));

    on(r, HttpMethod.GET, "/v2/triggers", this::listTriggers);
    on(r, HttpMethod.POST, "/v2/triggers", ctx -> {
      TriggerPatch p = Bodies.trigger(ctx.body().buffer());
      blocking(ctx, () -> registry.createTrigger(p), t -> Replies.json(ctx, 200, triggerView(ctx, t)));
    });
    on(r, HttpMethod.GET, "/v2/triggers/:triggerId", ctx -> Replies.json(ctx, 200, triggerView(ctx,
        registry.trigger(ctx.pathParam("triggerId")).orElseThrow(() -> new ApiError(404, "Trigger not found")))));
    on(r, HttpMethod.PUT, "/v2/triggers/:triggerId", ctx -> {
      TriggerPatch p = Bodies.trigger(ctx.body().buffer());
      blocking(ctx, () -> registry.updateTrigger(ctx.pathParam("triggerId"), p),
          t -> Replies.json(ctx, 200, triggerView(ctx, t)));
    });
    on(r, HttpMethod.DELETE, "/v2/triggers/:triggerId", ctx -> blocking(ctx,
        () -> { registry.deleteTrigger(ctx.pathParam("triggerId")); return true; }, x -> Replies.noContent(ctx)));
    // Fn removed its calls API and answers 410 Gone on these paths (with an empty body; Cleave says where to look).
    for (String gone : List.of("/v2/fns/:fnId/calls", "/v2/fns/:fnId/calls/:callId", "/v2/fns/:fnId/calls/:callId/log")) {
      on(r, HttpMethod.GET, gone, ctx -> Replies.error(ctx, 410, "Gone: " + describe(ctx)
          + " (Fn's calls API was removed; Cleave's call records are at /cleave/v1/activations?fn_id=<fn id>)"));
    }

    bodyLimit(r, "/invoke/*", parts.config().invokeBodyLimit());
    bodyLimit(r, "/t/*", parts.config().invokeBodyLimit());
    on(r, HttpMethod.POST, "/invoke/:fnId", this::invoke);
    onAny(r, "/t/:app", this::trigger);
    onAny(r, "/t/:app/*", this::trigger);

    on(r, HttpMethod.PUT, "/cleave/v1/fns/:fnId/bundle", this::uploadBundle);
    on(r, HttpMethod.GET, "/cleave/v1/bundles/:digest", this::downloadBundle);
    on(r, HttpMethod.GET, "/cleave/v1/cluster", this::cluster);
    on(r, HttpMethod.GET, "/cleave/v1/activations", this::listActivations);
    on(r, HttpMethod.GET, "/cleave/v1/activations/:id", this::getActivation);
    on(r, HttpMethod.GET, "/cleave/v1/activations/:id/logs", this::activationLogs);

    r.route().failureHandler(ctx -> {
      if (ctx.statusCode() == 413) {
        Replies.error(ctx, 413, tooLarge(ctx));
      } else if (ctx.failure() != null) {
        Replies.failure(ctx, ctx.failure());
      } else {
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        Replies.error(ctx, status, Replies.messageFor(status));
      }
      if (ctx.statusCode() == 413) {
        drain(ctx.request());
      }
    });
    // Fn's texts: "Path not found: GET /v2/nosuch", "Method not allowed: PATCH /v2/apps".
    for (int status : new int[] {404, 405}) {
      r.errorHandler(status, ctx -> Replies.error(ctx, status, Replies.messageFor(status) + ": " + describe(ctx)));
    }
    return r;
  }

  // ---------------------------------------------------------------- plumbing

  /** {@code METHOD /path}, the path decoded as Go's URL.Path is (Fn's route errors quote it so). */
  private static String describe(RoutingContext ctx) {
    return ctx.request().method().name() + " " + decodePath(ctx.request().path());
  }

  /** Percent-decodes a path as UTF-8 ({@code +} stays); a malformed escape is kept as it is. */
  static String decodePath(String raw) {
    if (raw == null) {
      return "";
    }
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(raw.length());
    int i = 0;
    while (i < raw.length()) {
      int hi = i + 2 < raw.length() && raw.charAt(i) == '%' ? Character.digit(raw.charAt(i + 1), 16) : -1;
      int lo = hi >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
      if (lo >= 0) {
        out.write(hi * 16 + lo);
        i += 3;
      } else {
        int cp = raw.codePointAt(i);
        out.writeBytes(new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        i += Character.charCount(cp);
      }
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Most of a refused body read and dropped so the client sees the answer; beyond it, the connection closes. */
  private static final long DRAIN_LIMIT = 16L * 1024 * 1024;

  /**
   * Reads and drops the rest of a refused request body, so a client still sending it gets the
   * error answer instead of a reset; a client sending far more than that is disconnected.
   */
  private static void drain(HttpServerRequest req) {
    if (req.isEnded()) {
      return;
    }
    long[] dropped = {0};
    req.handler(buf -> {
      dropped[0] += buf.length();
      if (dropped[0] > DRAIN_LIMIT) {
        req.connection().close();
      }
    });
    req.endHandler(null);
    req.exceptionHandler(t -> { });
    req.resume();
  }

  /** First handler of every request: a call id on every response, and metrics when it ends. */
  private void begin(RoutingContext ctx) {
    long start = System.nanoTime();
    String callId = Ulid.next();
    ctx.put(CALL_ID, callId);
    ctx.response().putHeader("Fn-Call-Id", callId);
    ctx.addEndHandler(v -> {
      String route = ctx.get(ROUTE);
      httpMetrics.record(route == null ? "unmatched" : route, ctx.request().method().name(),
          ctx.response().getStatusCode(), System.nanoTime() - start);
    });
    ctx.next();
  }

  /**
   * Reads bodies under {@code prefix} up to {@code limit} bytes (413 beyond). The prefix is the
   * metrics label of a request refused before its own route ran; the route's own label replaces it.
   */
  private static void bodyLimit(Router r, String prefix, long limit) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(limit);
    r.route(prefix).handler(ctx -> {
      ctx.put(ROUTE, prefix);
      ctx.put(BODY_LIMIT, limit);
      body.handle(ctx);
    });
  }

  private static final String BODY_LIMIT = "cleave.body-limit";

  /**
   * Fn's 413 texts: a declared Content-Length over the limit is refused before reading
   * ("Content-Length too large for this server, N > max M"); a body that grows past it while read
   * is "Request content too large".
   */
  private static String tooLarge(RoutingContext ctx) {
    Long limit = ctx.get(BODY_LIMIT);
    String declared = ctx.request().getHeader("Content-Length");
    if (limit != null && declared != null) {
      try {
        long n = Long.parseLong(declared.trim());
        if (n > limit) {
          return "Content-Length too large for this server, " + n + " > max " + limit;
        }
      } catch (NumberFormatException ignored) {
        // not a length: the generic text
      }
    }
    return Replies.messageFor(413);
  }

  private void on(Router r, HttpMethod method, String path, Handler<RoutingContext> h) {
    r.route(method, path).handler(guarded(path, h));
  }

  private void onAny(Router r, String path, Handler<RoutingContext> h) {
    r.route(path).handler(guarded("/t/:app/*", h));
  }

  private static Handler<RoutingContext> guarded(String label, Handler<RoutingContext> h) {
    return ctx -> {
      ctx.put(ROUTE, label);
      try {
        h.handle(ctx);
      } catch (RuntimeException e) {
        Replies.failure(ctx, e);
      }
    };
  }

  /** Runs a blocking registry write on a worker thread and answers on the event loop. */
  private <T> void blocking(RoutingContext ctx, Callable<T> work, Consumer<T> answer) {
    vertx.executeBlocking(work, false).onComplete(ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
        return;
      }
      try {
        answer.accept(ar.result());
      } catch (RuntimeException e) {
        Replies.failure(ctx, e); // an answer that cannot be written still ends the request
      }
    });
  }

  /** A completion handler that answers with an error instead of leaving the request open if it throws. */
  private static <T> Handler<AsyncResult<T>> guard(RoutingContext ctx, Handler<AsyncResult<T>> h) {
    return ar -> {
      try {
        h.handle(ar);
      } catch (RuntimeException e) {
        Replies.failure(ctx, e);
      }
    };
  }

  private String baseUrl(RoutingContext ctx) {
    String host = ctx.request().getHeader("Host");
    if (host == null || host.isEmpty()) {
      host = parts.config().host() + ":" + ctx.request().localAddress().port();
    }
    return (ctx.request().isSSL() ? "https://" : "http://") + host;
  }

  private ObjectNode fnView(RoutingContext ctx, Fn f) {
    return Views.fn(f, registry.app(f.appId()).map(App::shape).orElse(null), baseUrl(ctx));
  }

  private ObjectNode triggerView(RoutingContext ctx, io.cleave.common.model.Trigger t) {
    return Views.trigger(t, registry.app(t.appId()).map(App::name).orElse(null), baseUrl(ctx));
  }

  // ---------------------------------------------------------------- lists

  private record Paging(String cursor, int perPage) {}

  /** Fn's paging parameters: per_page 1..100 (default 30; unparsable means default). */
  private static Paging paging(RoutingContext ctx) {
    int perPage;
    try {
      perPage = Integer.parseInt(ctx.request().getParam("per_page", ""));
    } catch (NumberFormatException e) {
      perPage = 0;
    }
    if (perPage > 100) {
      perPage = 100;
    } else if (perPage <= 0) {
      perPage = 30;
    }
    return new Paging(ctx.request().getParam("cursor"), perPage);
  }

  private void listApps(RoutingContext ctx) {
    Paging p = paging(ctx);
    Page<App> page = registry.listApps(ctx.request().getParam("name"), p.cursor(), p.perPage());
    Replies.json(ctx, 200, Views.page(page, Views::app));
  }

  private void listFns(RoutingContext ctx) {
    String appId = ctx.request().getParam("app_id");
    if (appId == null || appId.isEmpty()) {
      throw new ApiError(400, "Missing AppID on Fn");
    }
    Paging p = paging(ctx);
    String base = baseUrl(ctx);
    Page<Fn> page = registry.listFns(appId, ctx.request().getParam("name"), p.cursor(), p.perPage());
    String shape = registry.app(appId).map(App::shape).orElse(null);
    Replies.json(ctx, 200, Views.page(page, f -> Views.fn(f, shape, base)));
  }

  private void listTriggers(RoutingContext ctx) {
    String appId = ctx.request().getParam("app_id");
    if (appId == null || appId.isEmpty()) {
      throw new ApiError(400, "Missing App ID on Trigger");
    }
    Paging p = paging(ctx);
    String fnId = ctx.request().getParam("fn_id");
    String appName = registry.app(appId).map(App::name).orElse(null);
    String base = baseUrl(ctx);
    var page = registry.listTriggers(appId, fnId == null || fnId.isEmpty() ? null : fnId,
        ctx.request().getParam("name"), p.cursor(), p.perPage());
    Replies.json(ctx, 200, Views.page(page, t -> Views.trigger(t, appName, base)));
  }

  // ---------------------------------------------------------------- invoke and triggers

  private void invoke(RoutingContext ctx) {
    FnTarget target = registry.target(ctx.pathParam("fnId")).orElseThrow(() -> new ApiError(404, "Fn not found"));
    FunctionInvoker inv = requireInvoker();
    HttpServerRequest req = ctx.request();
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : req.headers().names()) {
      if (!HOP_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        headers.put(name, req.headers().getAll(name));
      }
    }
    Call call = new Call(ctx.get(CALL_ID), target.app(), target.fn(), req.method().name(), req.absoluteURI(),
        headers, bodyOf(ctx), Instant.now());
    if ("detached".equalsIgnoreCase(req.getHeader("Fn-Invoke-Type"))) {
      inv.submitDetached(call).onComplete(guard(ctx, ar -> {
        if (ar.succeeded()) {
          ctx.response().setStatusCode(202).end();
        } else {
          Replies.failure(ctx, ar.cause());
        }
      }));
      return;
    }
    inv.call(call).onComplete(guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
        return;
      }
      CallResult result = ar.result();
      HttpServerResponse resp = ctx.response();
      result.headers().forEach((name, values) -> {
        String lower = name.toLowerCase(Locale.ROOT);
        if (!HOP_HEADERS.contains(lower) && !lower.equals("fn-call-id")) {
          resp.putHeader(name, values);
        }
      });
      startMode(resp, result);
      resp.setStatusCode(result.status()).end(result.body() == null ? Buffer.buffer() : result.body());
    }));
  }

  private void trigger(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String appName = ctx.pathParam("app");
    String path = req.path();
    int slash = path.indexOf('/', "/t/".length());
    String source = slash < 0 ? "/" : path.substring(slash);
    if (registry.appByName(appName).isEmpty()) {
      throw new ApiError(404, "App not found");
    }
    TriggerRoute route = registry.route(appName, source).orElseThrow(() -> new ApiError(404, "Trigger not found"));
    FunctionInvoker inv = requireInvoker();
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : req.headers().names()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (HOP_HEADERS.contains(lower)) {
        continue;
      }
      headers.put(lower.equals("content-type") ? "Content-Type" : "Fn-Http-H-" + canonical(name),
          req.headers().getAll(name));
    }
    headers.put("Fn-Http-Method", List.of(req.method().name()));
    headers.put("Fn-Http-Request-Url", List.of(req.absoluteURI()));
    headers.put("Fn-Intent", List.of("httprequest"));
    Call call = new Call(ctx.get(CALL_ID), route.app(), route.fn(), req.method().name(), req.absoluteURI(), headers,
        bodyOf(ctx), Instant.now());
    inv.call(call).onComplete(guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
        return;
      }
      CallResult result = ar.result();
      HttpServerResponse resp = ctx.response();
      int userStatus = 0;
      for (var e : result.headers().entrySet()) {
        String name = e.getKey();
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.startsWith("fn-http-h-") && name.length() > "fn-http-h-".length()) {
          resp.putHeader(name.substring("fn-http-h-".length()), e.getValue());
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
      int status = result.status() >= 400 ? result.status() : (userStatus >= 100 && userStatus <= 599 ? userStatus : 200);
      startMode(resp, result);
      resp.setStatusCode(status).end(result.body() == null ? Buffer.buffer() : result.body());
    }));
  }

  private static void startMode(HttpServerResponse resp, CallResult result) {
    if (result.startMode() != null) {
      resp.putHeader("Cleave-Start-Mode", result.startMode().wireName());
    }
  }

  private FunctionInvoker requireInvoker() {
    if (invoker == null) {
      throw new ApiError(503, "no invoker on this node");
    }
    return invoker;
  }

  private static Buffer bodyOf(RoutingContext ctx) {
    Buffer b = ctx.body() == null ? null : ctx.body().buffer();
    return b == null ? Buffer.buffer() : b;
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

  // ---------------------------------------------------------------- bundles

  private void uploadBundle(RoutingContext ctx) {
    String fnId = ctx.pathParam("fnId");
    HttpServerRequest req = ctx.request();
    if (registry.fn(fnId).isEmpty()) {
      throw new ApiError(404, "Fn not found");
    }
    long limit = parts.config().bundleLimit();
    String declaredLength = req.getHeader("Content-Length");
    if (declaredLength != null) {
      try {
        if (Long.parseLong(declaredLength.trim()) > limit) {
          Replies.error(ctx, 413, "bundle larger than the limit of " + limit + " bytes");
          drain(req);
          return;
        }
      } catch (NumberFormatException e) {
        throw new ApiError(400, "Invalid Content-Length");
      }
    }
    BundleDigest expected = expectedDigest(req);
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path upload = bundles.newUpload();
    req.pause();
    vertx.fileSystem().open(upload.toString(), new OpenOptions().setCreateNew(true).setWrite(true))
        .onFailure(t -> Replies.failure(ctx, t))
        .onSuccess(file -> receive(ctx, req, file, upload, sha, limit, expected, fnId));
  }

  private void receive(RoutingContext ctx, HttpServerRequest req, AsyncFile file, Path upload, MessageDigest sha,
      long limit, BundleDigest expected, String fnId) {
    long[] size = {0};
    boolean[] aborted = {false};
    Supplier<Future<Void>> discard = () -> file.close().transform(x -> vertx.fileSystem().delete(upload.toString()))
        .recover(t -> Future.succeededFuture());
    req.handler(buf -> {
      if (aborted[0]) {
        return;
      }
      size[0] += buf.length();
      if (size[0] > limit) {
        aborted[0] = true;
        drain(req);
        discard.get().onComplete(x -> Replies.error(ctx, 413, "bundle larger than the limit of " + limit + " bytes"));
        return;
      }
      sha.update(buf.getBytes());
      file.write(buf);
      if (file.writeQueueFull()) {
        req.pause();
        file.drainHandler(v -> req.resume());
      }
    });
    req.exceptionHandler(t -> {
      if (!aborted[0]) {
        aborted[0] = true;
        discard.get();
      }
    });
    req.endHandler(v -> {
      if (aborted[0]) {
        return;
      }
      BundleDigest digest = new BundleDigest(HexFormat.of().formatHex(sha.digest()));
      file.close().compose(x -> {
        if (size[0] == 0) {
          return Future.failedFuture(new ApiError(400, "empty bundle: send a tar.gz archive as the body"));
        }
        if (expected != null && !expected.equals(digest)) {
          return Future.failedFuture(new ApiError(400,
              "bundle digest mismatch: header says " + expected + ", body is " + digest));
        }
        return vertx.executeBlocking(() -> {
          try {
            bundles.adopt(upload, digest);
          } catch (ArchiveRejectedException e) {
            throw new ApiError(400, "bundle rejected: " + e.getMessage());
          }
          return registry.updateFn(fnId, FnPatch.image(digest.image()), bundles::held);
        }, false);
      }).onComplete(guard(ctx, ar -> {
        if (ar.succeeded()) {
          Replies.json(ctx, 200, fnView(ctx, ar.result()));
        } else {
          vertx.fileSystem().delete(upload.toString()).onComplete(x -> Replies.failure(ctx, ar.cause()));
        }
      }));
    });
    req.resume();
  }

  /** The digest the client declares, from {@code X-Content-SHA256: <hex>} or {@code Digest: sha-256=<base64>}. */
  private static BundleDigest expectedDigest(HttpServerRequest req) {
    String hex = req.getHeader("X-Content-SHA256");
    if (hex != null) {
      return BundleDigest.parse("sha256:" + hex.trim().toLowerCase(Locale.ROOT))
          .orElseThrow(() -> new ApiError(400, "X-Content-SHA256 must be 64 hex digits"));
    }
    String digest = req.getHeader("Digest");
    if (digest != null) {
      for (String part : digest.split(",")) {
        String p = part.trim();
        if (p.toLowerCase(Locale.ROOT).startsWith("sha-256=")) {
          try {
            byte[] raw = Base64.getDecoder().decode(p.substring("sha-256=".length()));
            return new BundleDigest(HexFormat.of().formatHex(raw));
          } catch (IllegalArgumentException e) {
            throw new ApiError(400, "Digest sha-256 must be the base64 of a 32-byte sha256");
          }
        }
      }
    }
    return null;
  }

  private void downloadBundle(RoutingContext ctx) {
    BundleDigest digest = BundleDigest.parse(ctx.pathParam("digest"))
        .orElseThrow(() -> new ApiError(400, "a bundle is named sha256:<64 hex digits>"));
    if (!bundles.has(digest)) {
      throw new ApiError(404, "bundle " + digest + " not found");
    }
    ctx.response().putHeader("Content-Type", "application/gzip")
        .putHeader("X-Content-SHA256", digest.hex())
        .sendFile(bundles.path(digest).toString())
        .onFailure(t -> Replies.failure(ctx, t));
  }

  // ---------------------------------------------------------------- cluster

  private void cluster(RoutingContext ctx) {
    var membership = registry.membership();
    blocking(ctx, membership::members, members -> {
      ObjectNode body = Json.MAPPER.createObjectNode().put("name", membership.clusterName());
      var items = body.putArray("members");
      for (var m : members) {
        ObjectNode o = items.addObject().put("id", m.id().toString()).put("address", m.address());
        if (m.apiUrl() != null) {
          o.put("api_url", m.apiUrl());
        }
        o.put("local", m.local());
      }
      Replies.json(ctx, 200, body);
    });
  }

  // ---------------------------------------------------------------- activations

  private ActivationLog requireActivations() {
    if (activations == null) {
      throw new ApiError(503, "no invoker on this node");
    }
    return activations;
  }

  private void listActivations(RoutingContext ctx) {
    ActivationLog log = requireActivations();
    MultiMap q = ctx.request().params();
    Instant since = null;
    String sinceText = q.get("since");
    if (sinceText != null && !sinceText.isEmpty()) {
      try {
        since = Instant.parse(sinceText);
      } catch (DateTimeParseException e) {
        throw new ApiError(400, "since must be an RFC 3339 time such as 2018-03-07T21:35:03.155Z");
      }
    }
    int limit = 30;
    String limitText = q.get("limit");
    if (limitText != null && !limitText.isEmpty()) {
      try {
        limit = Integer.parseInt(limitText);
      } catch (NumberFormatException e) {
        throw new ApiError(400, "limit must be an integer between 1 and 1000");
      }
      if (limit < 1 || limit > 1000) {
        throw new ApiError(400, "limit must be an integer between 1 and 1000");
      }
    }
    String fnId = q.get("fn_id");
    log.list(new ActivationQuery(fnId == null || fnId.isEmpty() ? null : fnId, since, limit)).onComplete(guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
        return;
      }
      ObjectNode body = Json.MAPPER.createObjectNode();
      var items = body.putArray("items");
      List<Activation> list = new ArrayList<>(ar.result());
      list.forEach(a -> items.add(Json.MAPPER.valueToTree(a)));
      Replies.json(ctx, 200, body);
    }));
  }

  private void getActivation(RoutingContext ctx) {
    requireActivations().get(ctx.pathParam("id")).onComplete(guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
      } else if (ar.result().isEmpty()) {
        Replies.error(ctx, 404, "Activation not found");
      } else {
        Replies.json(ctx, 200, ar.result().get());
      }
    }));
  }

  private void activationLogs(RoutingContext ctx) {
    requireActivations().logs(ctx.pathParam("id")).onComplete(guard(ctx, ar -> {
      if (ar.failed()) {
        Replies.failure(ctx, ar.cause());
      } else if (ar.result().isEmpty()) {
        Replies.error(ctx, 404, "Activation not found");
      } else {
        ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(ar.result().get());
      }
    }));
  }
}
