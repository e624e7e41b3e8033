package io.cleave.gateway;

import io.cleave.common.error.ApiError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.webjars.WebJarVersionLocator;

/**
 * The web console's files: {@code /console/} serves the page and its scripts from the classpath
 * ({@code console/}), {@code /console/lib/{webjar}/{path}} the libraries it uses from their WebJars,
 * whatever version the build put on the classpath. Open to anyone: the files hold no data; the
 * page asks the API for everything with the key the user types in.
 */
final class ConsoleRoutes {
  private static final String ROOT = "console/";
  /** WebJars the console loads; any other name is not served. */
  private static final Set<String> LIBRARIES = Set.of("uplot");
  /**
   * Scripts and styles from this server only, no inline script, no framing; data only from the API
   * of the same origin.
   */
  private static final String POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
      "svg", "image/svg+xml", "png", "image/png", "json", "application/json; charset=utf-8");

  private final Routing routing;
  private final WebJarVersionLocator webJars = new WebJarVersionLocator();
  /** Files found, by classpath path: they never change while the server runs. */
  private final Map<String, Buffer> found = new ConcurrentHashMap<>();

  ConsoleRoutes(Routing routing) {
    this.routing = routing;
  }

  void mount(Router r) {
    // Vert.x matches /console/ here too: only the bare path is sent to the page's directory.
    routing.on(r, HttpMethod.GET, "/console", new Rule.Open(), ctx -> {
      if (ctx.request().path().endsWith("/")) {
        serve(ctx, ROOT + "index.html");
      } else {
        ctx.response().setStatusCode(302).putHeader("Location", "/console/").end();
      }
    });
    routing.on(r, HttpMethod.GET, "/console/lib/:webjar/*", new Rule.Open(), this::library);
    routing.on(r, HttpMethod.GET, "/console/*", new Rule.Open(), this::file);
  }

  private void file(RoutingContext ctx) {
    String rest = ctx.pathParam("*");
    serve(ctx, ROOT + (rest == null || rest.isEmpty() ? "index.html" : checked(rest)));
  }

  private void library(RoutingContext ctx) {
    String name = ctx.pathParam("webjar");
    if (!LIBRARIES.contains(name)) {
      throw new ApiError(404, "no such library: " + name);
    }
    String path = webJars.fullPath(name, checked(ctx.pathParam("*")));
    if (path == null) {
      throw new ApiError(404, "not in " + name + ": " + ctx.pathParam("*"));
    }
    serve(ctx, path);
  }

  /** A relative path within a directory: no empty, dot or dot-dot segment can leave it. */
  private static String checked(String rest) {
    if (rest == null || rest.isEmpty() || rest.startsWith("/") || rest.contains("\\")) {
      throw new ApiError(404, "Path not found");
    }
    for (String segment : rest.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new ApiError(404, "Path not found");
      }
    }
    return rest;
  }

  private void serve(RoutingContext ctx, String resource) {
    int dot = resource.lastIndexOf('.');
    String type = dot < 0 ? null : TYPES.get(resource.substring(dot + 1));
    if (type == null) {
      throw new ApiError(404, "Path not found");
    }
    Buffer cached = found.get(resource);
    if (cached != null) {
      answer(ctx, type, cached);
      return;
    }
    routing.blocking(ctx, () -> read(resource), content -> {
      if (content.isEmpty()) {
        Replies.error(ctx, 404, "Path not found: " + Routing.describe(ctx));
        return;
      }
      found.put(resource, content.get());
      answer(ctx, type, content.get());
    });
  }

  private static Optional<Buffer> read(String resource) throws IOException {
    try (InputStream in = ConsoleRoutes.class.getClassLoader().getResourceAsStream(resource)) {
      return in == null ? Optional.empty() : Optional.of(Buffer.buffer(in.readAllBytes()));
    }
  }

  private static void answer(RoutingContext ctx, String type, Buffer content) {
    ctx.response().putHeader("Content-Type", type)
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Content-Security-Policy", POLICY)
        .end(content);
  }
}
