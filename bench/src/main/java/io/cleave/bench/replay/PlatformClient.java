package io.cleave.bench.replay;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.util.Map;

/**
 * The platform's HTTP API as the replay tool uses it: Fn v2 apps and functions, Cleave's bundle
 * upload, calls, activations and {@code /metrics}. One pooled client; calls share its connections.
 */
public final class PlatformClient implements AutoCloseable {
  private static final long API_TIMEOUT_MS = 60_000;
  private static final long METRICS_TIMEOUT_MS = 5_000;
  private final URI base;
  private final WebClient client;

  public PlatformClient(Vertx vertx, URI base, int connections) {
    if (base.getHost() == null || base.getScheme() == null) {
      throw new IllegalArgumentException("not an http URL: " + base);
    }
    this.base = base;
    WebClientOptions options = new WebClientOptions()
        .setDefaultHost(base.getHost())
        .setDefaultPort(port(base))
        .setSsl("https".equals(base.getScheme()))
        .setKeepAlive(true)
        .setTcpNoDelay(true)
        .setConnectTimeout(10_000)
        .setUserAgent("cleave-replay");
    this.client = WebClient.create(vertx, options, new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
  }

  public URI base() {
    return base;
  }

  private static int port(URI u) {
    return u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
  }

  String path(String p) {
    String prefix = base.getPath() == null ? "" : base.getPath().replaceAll("/+$", "");
    return prefix + p;
  }

  /** A request with a 60 s limit (API calls); callers may set their own. */
  HttpRequest<Buffer> request(HttpMethod method, String p) {
    return client.request(method, path(p)).timeout(API_TIMEOUT_MS);
  }

  public Future<String> createApp(String name) {
    return json(request(HttpMethod.POST, "/v2/apps").sendJsonObject(new JsonObject().put("name", name)), "create app " + name)
        .map(o -> o.getString("id"));
  }

  /** Creates a function and uploads its bundle; answers the function's id. */
  public Future<String> createFn(String appId, String name, int memoryMb, int timeoutS, int idleTimeoutS,
      Map<String, String> config, byte[] bundle) {
    JsonObject body = new JsonObject()
        .put("app_id", appId)
        .put("name", name)
        .put("memory", memoryMb)
        .put("timeout", timeoutS)
        .put("idle_timeout", idleTimeoutS)
        .put("config", new JsonObject(Map.copyOf(config)));
    return json(request(HttpMethod.POST, "/v2/fns").sendJsonObject(body), "create function " + name)
        .map(o -> o.getString("id"))
        .compose(id -> json(request(HttpMethod.PUT, "/cleave/v1/fns/" + id + "/bundle")
                .putHeader("Content-Type", "application/gzip")
                .sendBuffer(Buffer.buffer(bundle)), "upload the bundle of " + name)
            .map(ignored -> id));
  }

  public Future<Void> deleteFn(String fnId) {
    return expect(request(HttpMethod.DELETE, "/v2/fns/" + fnId).send(), "delete function " + fnId);
  }

  public Future<Void> deleteApp(String appId) {
    return expect(request(HttpMethod.DELETE, "/v2/apps/" + appId).send(), "delete app " + appId);
  }

  public Future<String> metrics() {
    return request(HttpMethod.GET, "/metrics").timeout(METRICS_TIMEOUT_MS).send().compose(r -> r.statusCode() == 200
        ? Future.succeededFuture(r.bodyAsString())
        : Future.failedFuture("GET /metrics answered " + r.statusCode()));
  }

  /** The activation record of one call, or null when the platform has none. */
  public Future<JsonObject> activation(String callId) {
    return request(HttpMethod.GET, "/cleave/v1/activations/" + callId).send().map(r -> {
      if (r.statusCode() != 200) {
        return null;
      }
      try {
        return r.bodyAsJsonObject();
      } catch (DecodeException e) {
        return null;
      }
    });
  }

  private static Future<JsonObject> json(Future<HttpResponse<Buffer>> response, String what) {
    return response.transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(new IllegalStateException("cannot " + what + ": " + ar.cause().getMessage(), ar.cause()));
      }
      HttpResponse<Buffer> r = ar.result();
      if (r.statusCode() / 100 != 2) {
        return Future.failedFuture(new IllegalStateException("cannot " + what + ": HTTP " + r.statusCode() + " " + message(r)));
      }
      try {
        JsonObject o = r.body() == null || r.body().length() == 0 ? new JsonObject() : r.bodyAsJsonObject();
        return Future.succeededFuture(o);
      } catch (DecodeException e) {
        return Future.failedFuture(new IllegalStateException("cannot " + what + ": the answer is not JSON"));
      }
    });
  }

  private static Future<Void> expect(Future<HttpResponse<Buffer>> response, String what) {
    return json(response, what).mapEmpty();
  }

  static String message(HttpResponse<Buffer> r) {
    try {
      JsonObject o = r.bodyAsJsonObject();
      if (o != null && o.getString("message") != null) {
        return o.getString("message");
      }
    } catch (DecodeException | ClassCastException e) {
      // not JSON: fall through to the raw text
    }
    String s = r.bodyAsString();
    return s == null ? "" : s.length() > 200 ? s.substring(0, 200) : s;
  }

  @Override
  public void close() {
    client.close();
  }
}
