package io.cleave.gateway;

import io.cleave.common.config.HttpEdgeLimits;
import io.cleave.common.json.Json;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Keeps each API connection within {@link HttpEdgeLimits}: refuses it past the connection caps,
 * and closes it when its request headers are not complete in time (slowloris), when its body is
 * not (408), or when it sits idle between requests. While a call runs nothing times out: a
 * function may take minutes to answer. One per HTTP server instance, used on its event loop only.
 */
final class ConnectionGuard {
  private static final long NO_TIMER = -1;

  private final Vertx vertx;
  private final HttpEdgeLimits limits;
  private final ConnectionCaps caps;
  private final Map<HttpConnection, Watched> watched = new IdentityHashMap<>();

  ConnectionGuard(Vertx vertx, HttpEdgeLimits limits, ConnectionCaps caps) {
    this.vertx = vertx;
    this.limits = limits;
    this.caps = caps;
  }

  /** The server's connection handler: a connection past a cap is closed at once, before it sends anything. */
  void accept(HttpConnection conn) {
    String client = conn.remoteAddress() == null ? "" : conn.remoteAddress().host();
    if (!caps.tryOpen(client)) {
      conn.close();
      return;
    }
    Watched w = new Watched(conn);
    watched.put(conn, w);
    conn.closeHandler(v -> {
      w.cancelTimer();
      watched.remove(conn);
      caps.closed(client);
    });
    w.closeAfter(limits.headerTimeoutSeconds());
  }

  /** The first route's handler: the request's headers are in; its body and its answer are watched. */
  void request(RoutingContext ctx) {
    Watched w = watched.get(ctx.request().connection());
    if (w != null) {
      w.requestBegan(ctx);
    }
    ctx.next();
  }

  /** One connection and the one timer that bounds what it is waiting for. */
  private final class Watched {
    private final HttpConnection conn;
    private long timer = NO_TIMER;
    /** Requests begun on this connection: an answer's late check applies only if no other began since. */
    private long exchanges;

    Watched(HttpConnection conn) {
      this.conn = conn;
    }

    void requestBegan(RoutingContext ctx) {
      cancelTimer();
      HttpServerRequest req = ctx.request();
      if (!req.isEnded()) {
        timer = vertx.setTimer(limits.bodyTimeoutSeconds() * 1000L, id -> bodyDue(ctx));
      }
      long exchange = ++exchanges;
      ctx.addEndHandler(ar -> {
        if (ar.succeeded()) {
          // Later on the event loop: a request without a body ends (its last chunk is read) after
          // the answer was written, in the same read. A refused body still being drained stays
          // under the body timer, and so does the next request once it began.
          vertx.runOnContext(v -> {
            if (exchange == exchanges && req.isEnded()) {
              closeAfter(limits.idleTimeoutSeconds());
            }
          });
        }
      });
    }

    /** The body timeout passed: a body still arriving is cut off, a finished exchange starts its idle time. */
    private void bodyDue(RoutingContext ctx) {
      timer = NO_TIMER;
      HttpServerRequest req = ctx.request();
      HttpServerResponse resp = ctx.response();
      if (req.isEnded()) {
        if (resp.ended()) {
          closeAfter(limits.idleTimeoutSeconds());
        }
        return;
      }
      if (resp.headWritten() || resp.closed()) {
        conn.close();
        return;
      }
      byte[] body = Json.toBytes(Json.MAPPER.createObjectNode().put("message",
          "Request body not received within " + limits.bodyTimeoutSeconds() + " s"));
      resp.setStatusCode(408).putHeader("Content-Type", "application/json; charset=utf-8")
          .putHeader("Connection", "close").end(Buffer.buffer(body))
          .onComplete(ar -> conn.close());
    }

    void closeAfter(int seconds) {
      cancelTimer();
      timer = vertx.setTimer(seconds * 1000L, id -> {
        timer = NO_TIMER;
        conn.close();
      });
    }

    void cancelTimer() {
      if (timer != NO_TIMER) {
        vertx.cancelTimer(timer);
        timer = NO_TIMER;
      }
    }
  }
}
