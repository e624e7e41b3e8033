package io.cleave.gateway;

import io.cleave.common.access.Role;
import io.cleave.common.bundle.ArchiveRejectedException;
import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.error.ApiError;
import io.cleave.common.model.FnPatch;
import io.cleave.registry.FnRegistry;
import io.cleave.registry.bundle.BundleFiles;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Code bundles: {@code PUT /cleave/v1/fns/{id}/bundle} streams an upload to disk (never held in
 * memory), checks it and sets the function's image; {@code GET /cleave/v1/bundles/sha256:<hex>}
 * serves a stored one.
 */
final class BundlesRoutes {
  private final Routing routing;
  private final Vertx vertx;
  private final FnRegistry fns;
  private final FnsRoutes fnViews;
  private final BundleFiles bundles;

  /** {@code fnViews} shows the function an upload updated as the fns routes do. */
  BundlesRoutes(Routing routing, FnRegistry fns, FnsRoutes fnViews, BundleFiles bundles) {
    this.routing = routing;
    this.vertx = routing.vertx();
    this.fns = fns;
    this.fnViews = fnViews;
    this.bundles = bundles;
  }

  void mount(Router r) {
    routing.on(r, HttpMethod.PUT, "/cleave/v1/fns/:fnId/bundle", new Rule.OfApp(Role.DEPLOY, AppOf.fn(fns, "fnId")),
        this::upload);
    // Bundles are named by content, not by app: other members (fetching code) and admin keys only.
    routing.on(r, HttpMethod.GET, "/cleave/v1/bundles/:digest", new Rule.Member(), this::download);
  }

  private void upload(RoutingContext ctx) {
    String fnId = ctx.pathParam("fnId");
    HttpServerRequest req = ctx.request();
    if (fns.fn(fnId).isEmpty()) {
      throw new ApiError(404, "Fn not found");
    }
    long limit = routing.config().bundleLimit();
    String declaredLength = req.getHeader("Content-Length");
    if (declaredLength != null) {
      try {
        if (Long.parseLong(declaredLength.trim()) > limit) {
          Replies.error(ctx, 413, tooLarge(limit));
          Routing.drain(req);
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
        .onSuccess(file -> receive(ctx, file, upload, sha, limit, expected, fnId));
  }

  private static String tooLarge(long limit) {
    return "bundle larger than the limit of " + limit + " bytes";
  }

  /** Streams the body into {@code file}, then files it under its digest and points the function at it. */
  private void receive(RoutingContext ctx, AsyncFile file, Path upload, MessageDigest sha, long limit,
      BundleDigest expected, String fnId) {
    HttpServerRequest req = ctx.request();
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
        Routing.drain(req);
        discard.get().onComplete(x -> Replies.error(ctx, 413, tooLarge(limit)));
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
          return fns.updateFn(fnId, FnPatch.image(digest.image()), bundles::held);
        }, false);
      }).onComplete(Routing.guard(ctx, ar -> {
        if (ar.succeeded()) {
          Replies.json(ctx, 200, fnViews.view(ctx, ar.result()));
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

  private void download(RoutingContext ctx) {
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
}
