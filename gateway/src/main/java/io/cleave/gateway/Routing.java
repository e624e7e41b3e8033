package io.cleave.gateway;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.id.Ulid;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * What every route shares: a call id and metrics on every request, the route's access {@link Rule}
 * checked before its handler runs, body limits with Fn's 413 texts, Fn's 404/405 texts, errors answered instead of requests left open, blocking work kept off
 * the event loop, paging parameters and the base URL of endpoint annotations. One per event loop.
 */
final class Routing {
  private static final String ROUTE = "cleave.route";
  private static final String CALL_ID = "cleave.call-id";
  private static final String BODY_LIMIT = "cleave.body-limit";
  /** The name of body-limit routes, which serve no endpoint of their own. */
  static final String BODY_LIMIT_ROUTE = "body-limit";
  /**
   * Most of a refused body read and dropped so the client sees the answer; beyond it, the connection
   * closes. Large, because clients that send the whole body before reading (Java's HttpClient,
   * Python's) see only a reset when it closes early, and dropping bytes costs nothing but the
   * transfer; the body timeout ({@link ConnectionGuard}) bounds the time it may take.
   */
  private static final long DRAIN_LIMIT = 256L * 1024 * 1024;

  private final Vertx vertx;
  private final ServerConfig config;
  private final HttpMetrics httpMetrics;
  private final Access access;

  Routing(Vertx vertx, ServerConfig config, HttpMetrics httpMetrics, Access access) {
    this.vertx = vertx;
    this.config = config;
    this.httpMetrics = httpMetrics;
    this.access = access;
  }

  Vertx vertx() {
    return vertx;
  }

  ServerConfig config() {
    return config;
  }

  Access access() {
    return access;
  }

  /** A router whose first handler gives every response a call id and records metrics when it ends. */
  Router newRouter() {
    Router r = Router.router(vertx);
    r.route().handler(ctx -> {
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
    });
    return r;
  }

  /** The call id this request's response carries. */
  static String callId(RoutingContext ctx) {
    return ctx.get(CALL_ID);
  }

  /**
   * A route labelled by its path in metrics, open to the callers {@code rule} admits; what it
   * throws is answered as an error.
   */
  void on(Router r, HttpMethod method, String path, Rule rule, Handler<RoutingContext> h) {
    r.route(method, path).handler(guarded(path, rule, h));
  }

  /** A route for every method, labelled {@code label} in metrics. */
  void onAny(Router r, String path, String label, Rule rule, Handler<RoutingContext> h) {
    r.route(path).handler(guarded(label, rule, h));
  }

  /** Runs {@code h} once {@code rule} admits the request: at once when the rule needs no asynchronous lookup. */
  private Handler<RoutingContext> guarded(String label, Rule rule, Handler<RoutingContext> h) {
    return ctx -> {
      ctx.put(ROUTE, label);
      access.admit(rule, ctx).onComplete(guard(ctx, ar -> {
        if (ar.failed()) {
          Replies.failure(ctx, ar.cause());
          drain(ctx.request()); // a refused upload's body is not read by anyone
        } else {
          h.handle(ctx);
        }
      }));
    };
  }

  /**
   * Reads bodies under {@code prefix} up to {@code limit} bytes (413 beyond). The prefix is the
   * metrics label of a request refused before its own route ran; the route's own label replaces it.
   */
  void bodyLimit(Router r, String prefix, long limit) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(limit);
    r.route(prefix).setName(BODY_LIMIT_ROUTE).handler(ctx -> {
      ctx.put(ROUTE, prefix);
      ctx.put(BODY_LIMIT, limit);
      body.handle(ctx);
    });
  }

  /** Answers what no route answered: failures, too-large bodies, and Fn's 404 and 405 texts. */
  void answerTheRest(Router r) {
    r.route().failureHandler(ctx -> {
      if (ctx.statusCode() == 413) {
        // The rest of the body is drained, not read: the client should not send another request here.
        if (!ctx.response().headWritten()) {
          ctx.response().putHeader("Connection", "close");
        }
        Replies.error(ctx, 413, tooLarge(ctx));
        drain(ctx.request());
      } else if (ctx.failure() != null) {
        Replies.failure(ctx, ctx.failure());
      } else {
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        Replies.error(ctx, status, Replies.messageFor(status));
      }
    });
    // Fn's texts: "Path not found: GET /v2/nosuch", "Method not allowed: PATCH /v2/apps".
    for (int status : new int[] {404, 405}) {
      r.errorHandler(status, ctx -> Replies.error(ctx, status, Replies.messageFor(status) + ": " + describe(ctx)));
    }
  }

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

  /**
   * Reads and drops the rest of a refused request body, so a client still sending it gets the
   * error answer instead of a reset; a client sending far more than that is disconnected.
   */
  static void drain(HttpServerRequest req) {
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

  /** {@code METHOD /path}, the path decoded as Go's URL.Path is (Fn's route errors quote it so). */
  static String describe(RoutingContext ctx) {
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
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    int i = 0;
    while (i < raw.length()) {
      int hi = i + 2 < raw.length() && raw.charAt(i) == '%' ? Character.digit(raw.charAt(i + 1), 16) : -1;
      int lo = hi >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
      if (lo >= 0) {
        out.write(hi * 16 + lo);
        i += 3;
      } else {
        int cp = raw.codePointAt(i);
        out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Runs blocking work (registry writes, cluster reads) on a worker thread and answers on the event loop. */
  <T> void blocking(RoutingContext ctx, Callable<T> work, Consumer<T> answer) {
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
  static <T> Handler<AsyncResult<T>> guard(RoutingContext ctx, Handler<AsyncResult<T>> h) {
    return ar -> {
      try {
        h.handle(ar);
      } catch (RuntimeException e) {
        Replies.failure(ctx, e);
      }
    };
  }

  /** Where this request reached the API, for the endpoint annotations: its Host, else the listen address. */
  String baseUrl(RoutingContext ctx) {
    String host = ctx.request().getHeader("Host");
    if (host == null || host.isEmpty()) {
      host = config.host() + ":" + ctx.request().localAddress().port();
    }
    return (ctx.request().isSSL() ? "https://" : "http://") + host;
  }

  /** Fn's paging parameters of a list request. */
  record Paging(String cursor, int perPage) {}

  /** {@code per_page} 1..100 (default 30; unparsable means default) and {@code cursor}. */
  static Paging paging(RoutingContext ctx) {
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
}
