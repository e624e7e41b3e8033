package io.cleave.invoker;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.bundle.BundleCopies;
import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.bundle.BundleSource;
import io.cleave.common.bundle.TarGzUnpacker;
import io.cleave.common.error.ApiError;
import io.cleave.common.json.FuncYaml;
import io.cleave.common.model.Fn;
import io.cleave.forkd.api.StartRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Turns a function's code bundle into what forkd needs to start it: the bundle unpacked once per
 * node under {@code <data>/unpacked/<hex>/} (unpacked to a temporary directory, then renamed), and
 * its {@link FunctionRuntime} from its {@code func.yaml}: Fn's Python form
 * ({@code entrypoint: /python/bin/fdk /function/func.py handler}; without one, {@code func.py} and
 * {@code handler}) or Fn's Java form ({@code runtime: java}, {@code cmd: class::method}).
 *
 * <p>The unpacked copies are this node's to collect ({@link BundleCopies}): a copy's last use is
 * its last launch here (or its unpacking).
 */
final class FunctionCode implements BundleCopies {
  /** How to start an instance of one function version: its code, command and environment, on {@code runtime}. */
  record Launch(Path bundleDir, List<String> command, Map<String, String> env, FunctionRuntime runtime) {
    /** A cold start: a process of its own, or for Java a JVM seed whose first instance it is. */
    StartRequest coldStart(String fnId, String appId, int memoryMb) {
      return runtime instanceof FunctionRuntime.Java
          ? StartRequest.jvmSeed(fnId, appId, bundleDir.toString(), memoryMb, command, env)
          : StartRequest.cold(fnId, appId, bundleDir.toString(), memoryMb, command, env);
    }
  }

  static final String PYTHON = "/usr/bin/python3";

  private final Vertx vertx;
  private final BundleSource source;
  private final TarGzUnpacker unpacker;
  private final Path unpackedRoot;
  /** Per bundle digest: its unpacked directory and entry point (bundles never change). */
  private final Map<String, Future<Map.Entry<Path, FunctionRuntime>>> bundles = new ConcurrentHashMap<>();
  /** Per bundle digest: when an instance was last launched from it on this node. */
  private final Map<BundleDigest, Instant> lastLaunched = new ConcurrentHashMap<>();

  FunctionCode(Vertx vertx, BundleSource source, TarGzUnpacker unpacker, Path unpackedRoot) {
    this.vertx = vertx;
    this.source = source;
    this.unpacker = unpacker;
    this.unpackedRoot = unpackedRoot;
  }

  /** The function's launch, refused for a runtime whose instances are never forked (a JVM): a fork edge's end. */
  Future<Launch> forkableLaunch(Fn fn, Map<String, String> config) {
    return launch(fn, config).compose(l -> l.runtime() instanceof FunctionRuntime.Java
        ? Future.failedFuture(new ApiError(400, "function " + fn.name()
            + " runs on Java: a JVM is never forked, so it cannot be one end of a fork edge (use a copy edge)"))
        : Future.succeededFuture(l));
  }

  /** Resolves the function's bundle (unpacking it if this node has not yet) and its launch command. */
  Future<Launch> launch(Fn fn, Map<String, String> config) {
    if (fn.image() == null || fn.image().isBlank()) {
      return Future.failedFuture(new ApiError(502,
          "function " + fn.name() + " has no code yet: upload a bundle (PUT /cleave/v1/fns/" + fn.id() + "/bundle)"));
    }
    BundleDigest digest = BundleDigest.fromImage(fn.image()).orElse(null);
    if (digest == null) {
      return Future.failedFuture(
          new ApiError(502, "function image '" + fn.image() + "' is not a code bundle (" + BundleDigest.IMAGE_REPOSITORY + ":sha256-<hex>)"));
    }
    Future<Map.Entry<Path, FunctionRuntime>> bundle;
    synchronized (lastLaunched) { // against a removal of the same copy (short: no disk work inside)
      lastLaunched.put(digest, Instant.now());
      bundle = bundles.computeIfAbsent(digest.hex(), hex -> prepare(digest));
    }
    return bundle
        .onFailure(e -> bundles.remove(digest.hex(), bundle))
        .map(
            b -> {
              FunctionRuntime runtime = b.getValue();
              Map<String, String> env = new HashMap<>(config);
              env.putAll(runtime.env());
              return new Launch(b.getKey(), runtime.command(fn.memory()), Map.copyOf(env), runtime);
            });
  }

  private Future<Map.Entry<Path, FunctionRuntime>> prepare(BundleDigest digest) {
    Path dir = unpackedRoot.resolve(digest.hex());
    Future<Path> unpacked =
        vertx
            .<Boolean>executeBlocking(() -> Files.isDirectory(dir), false)
            .compose(
                present ->
                    present
                        ? Future.succeededFuture(dir)
                        : source
                            .archive(digest)
                            .compose(
                                archive ->
                                    vertx.executeBlocking(
                                        () -> {
                                          unpacker.unpack(archive, dir);
                                          return dir;
                                        },
                                        false)));
    return unpacked
        .compose(d -> vertx.executeBlocking(() -> Map.entry(d, entryOf(d)), false))
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof ApiError api && api.status() != 404
                        ? api
                        : new ApiError(502, "cannot load the code of bundle " + digest + ": " + message(e))));
  }

  @Override
  public Map<BundleDigest, Instant> copies() throws IOException {
    Map<BundleDigest, Instant> found = new HashMap<>();
    if (!Files.isDirectory(unpackedRoot)) {
      return found;
    }
    try (Stream<Path> dirs = Files.list(unpackedRoot)) {
      for (Path dir : dirs.toList()) {
        // Work directories of unpackings in progress (".unpack-...") are not copies yet.
        BundleDigest.parse("sha256:" + dir.getFileName()).ifPresent(d -> {
          Instant used = lastModified(dir);
          Instant launched = lastLaunched.get(d);
          found.put(d, launched != null && launched.isAfter(used) ? launched : used);
        });
      }
    }
    return found;
  }

  /**
   * Forgets the copy and moves it aside under the same lock launches take, so no launch gets a
   * directory being removed; the tree is deleted afterwards.
   */
  @Override
  public boolean removeUnlessUsedSince(BundleDigest digest, Instant cutoff) throws IOException {
    Path dir = unpackedRoot.resolve(digest.hex());
    Path doomed = unpackedRoot.resolve(".remove-" + digest.hex() + "-" + UUID.randomUUID());
    synchronized (lastLaunched) {
      Instant launched = lastLaunched.get(digest);
      if (!Files.isDirectory(dir) || lastModified(dir).isAfter(cutoff) || (launched != null && launched.isAfter(cutoff))) {
        return false;
      }
      bundles.remove(digest.hex());
      lastLaunched.remove(digest);
      Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
    }
    try (Stream<Path> tree = Files.walk(doomed)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    return true;
  }

  private static Instant lastModified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toInstant();
    } catch (IOException e) {
      return Instant.now(); // just replaced or removed: treated as fresh, seen again at the next sweep
    }
  }

  /** Reads func.yaml's runtime and entry point; a Python function's file must exist in the bundle. */
  static FunctionRuntime entryOf(Path bundleDir) throws IOException {
    Path yaml = bundleDir.resolve("func.yaml");
    String file = "/function/func.py";
    String handler = "handler";
    String python = PYTHON;
    if (Files.isRegularFile(yaml)) {
      // The invoker runs as root: it reads nothing a link in the bundle could point out of it at.
      if (!yaml.toRealPath().startsWith(bundleDir.toRealPath())) {
        throw new ApiError(502, "func.yaml is a link leaving the bundle");
      }
      JsonNode doc = FuncYaml.MAPPER.readTree(yaml.toFile());
      String runtime = doc == null ? "" : doc.path("runtime").asText("");
      if (JavaRuntimes.isJava(runtime)) {
        return JavaRuntimes.resolve(runtime, doc.path("cmd").isTextual() ? doc.path("cmd").asText().trim() : null,
            bundleDir);
      }
      python = PythonRuntimes.interpreter(runtime)
          .orElseThrow(() -> new ApiError(502, "func.yaml runtime '" + runtime + "' is not available on this node ("
              + String.join(", ", PythonRuntimes.available()) + ", " + String.join(", ", JavaRuntimes.NAMES) + " are)"));
      String entrypoint = doc == null ? "" : doc.path("entrypoint").asText("").trim();
      if (!entrypoint.isEmpty()) {
        List<String> words = Arrays.asList(entrypoint.split("\\s+"));
        int fdk = -1;
        for (int i = 0; i < words.size(); i++) {
          if (words.get(i).equals("fdk") || words.get(i).endsWith("/fdk")) {
            fdk = i;
            break;
          }
        }
        if (fdk < 0 || fdk + 1 >= words.size()) {
          throw new ApiError(502, "func.yaml entrypoint '" + entrypoint
              + "' is not an FDK entry point (like /python/bin/fdk /function/func.py handler)");
        }
        file = words.get(fdk + 1);
        handler = fdk + 2 < words.size() ? words.get(fdk + 2) : "handler";
      }
    }
    if (!file.startsWith("/")) {
      file = "/function/" + file;
    }
    if (!file.startsWith("/function/") || file.contains("..")) {
      throw new ApiError(502, "the function file '" + file + "' is not inside /function");
    }
    if (!Files.isRegularFile(bundleDir.resolve(file.substring("/function/".length())))) {
      throw new ApiError(502, "the bundle has no " + file.substring("/function/".length()));
    }
    return new FunctionRuntime.Python(python, file, handler);
  }

  private static String message(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
