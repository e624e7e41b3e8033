package io.cleave.forkd;

import io.cleave.forkd.api.ForkdClient;
import io.cleave.forkd.api.InstanceStatus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real forkd process on a temp data dir, plus clients for it and for its instances. */
final class ForkdProcess {
  static final Path REPO = Path.of(System.getProperty("cleave.repo", "..")).toAbsolutePath().normalize();
  static final int UID_BASE = 910_000;
  static final int PIDS_MAX = 48;

  final Path dataDir;
  final Path socket;
  final Process process;
  final Vertx vertx;
  final ForkdClient client;
  private final HttpClientAgent http;

  private ForkdProcess(Path dataDir, Process process, Vertx vertx) {
    this.dataDir = dataDir;
    this.socket = dataDir.resolve("run/forkd.sock");
    this.process = process;
    this.vertx = vertx;
    this.client = new ForkdClient(vertx, socket);
    // One connection per instance: instances serve one call at a time.
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(1));
  }

  /** Builds the native helper (cheap when up to date), like the launcher does. */
  static void buildHelper() throws Exception {
    make("forkd/native");
  }

  /** Builds a C part of the repository (cheap when up to date). */
  static void make(String dir) throws Exception {
    Process make = new ProcessBuilder("make", "-s", "-C", REPO.resolve(dir).toString())
        .inheritIO().start();
    assertEquals(0, make.waitFor(), "make -C " + dir + " failed");
  }

  static ForkdProcess start(Path dataDir, Map<String, String> knobs) throws Exception {
    return start(dataDir, knobs, List.of());
  }

  /** forkd run by {@code prefix} (such as nsenter into a network namespace). */
  static ForkdProcess start(Path dataDir, Map<String, String> knobs, List<String> prefix) throws Exception {
    Process p = spawn(dataDir, knobs, prefix);
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    ForkdProcess forkd = new ForkdProcess(dataDir, p, vertx);
    // Ready means answering: a crashed predecessor's socket file may still be there.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!p.isAlive()) {
        forkd.closeClients();
        throw new IllegalStateException("forkd exited with " + p.exitValue() + ": " + log(dataDir));
      }
      try {
        forkd.client.health().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        return forkd;
      } catch (Exception notYet) {
        if (System.nanoTime() > deadline) {
          p.destroyForcibly();
          forkd.closeClients();
          throw new IllegalStateException("forkd did not come up: " + log(dataDir));
        }
        Thread.sleep(20);
      }
    }
  }

  /** Starts ForkdMain without waiting (for tests of refusals). */
  static Process spawn(Path dataDir, Map<String, String> knobs) throws IOException {
    return spawn(dataDir, knobs, List.of());
  }

  private static Process spawn(Path dataDir, Map<String, String> knobs, List<String> prefix) throws IOException {
    Files.createDirectories(dataDir);
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"),
        "io.cleave.forkd.ForkdMain", "--data-dir", dataDir.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("forkd.log").toFile()));
    pb.environment().put("CLEAVE_HOME", REPO.toString());
    pb.environment().put("CLEAVE_FORKD_POOL", "1");
    pb.environment().put("CLEAVE_FORKD_UID_BASE", Integer.toString(UID_BASE));
    pb.environment().put("CLEAVE_FORKD_PIDS_MAX", Integer.toString(PIDS_MAX));
    pb.environment().put("CLEAVE_FORKD_START_TIMEOUT_MS", "20000");
    pb.environment().putAll(knobs);
    return pb.start();
  }

  static String log(Path dataDir) {
    try {
      return Files.readString(dataDir.resolve("forkd.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** A bundle dir holding the probe functions (test resources under /probe). */
  static Path bundle(Path dir) throws IOException {
    for (String module : List.of("probe.py", "link_listener.py", "no_fork.py")) {
      bundle(dir, "/probe/" + module, module);
    }
    return dir;
  }

  /** A bundle dir holding one file from the test resources. */
  static Path bundle(Path dir, String resource, String name) throws IOException {
    Files.createDirectories(dir);
    try (var in = ForkdProcess.class.getResourceAsStream(resource)) {
      Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
    return dir;
  }

  /** The real Python runtime serving {@code module}'s {@code handler}, as the invoker starts it. */
  static List<String> command(String module) {
    return List.of("/usr/bin/python3", "-m", "fdk", "/function/" + module, "handler");
  }

  /** {@code env} plus what the runtime needs: forkd's copy of it on the module path. */
  static Map<String, String> env(Map<String, String> env) {
    Map<String, String> out = new HashMap<>(env);
    out.put("PYTHONPATH", InstanceRuntime.MOUNT_POINT);
    return out;
  }

  <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** POST /call on an instance's listener; the body selects what the probe function does. */
  JsonObject call(String listener, String body) throws Exception {
    return await(http.request(new RequestOptions().setServer(SocketAddress.domainSocketAddress(listener))
            .setMethod(HttpMethod.POST).setURI("/call").setHost("localhost").putHeader("Fn-Call-Id", "call-1")
            .putHeader("Fn-Deadline", "2099-01-01T00:00:00Z"))
        .compose(req -> req.send(Buffer.buffer(body)).compose(resp -> {
          assertEquals(200, resp.statusCode());
          return resp.body();
        }))
        .map(Buffer::toJsonObject));
  }

  /** Calls that are expected to fail (the instance dies during the call). */
  Future<JsonObject> callAsync(String listener, String body) {
    return http.request(new RequestOptions().setServer(SocketAddress.domainSocketAddress(listener))
            .setMethod(HttpMethod.POST).setURI("/call").setHost("localhost").setTimeout(60_000))
        .compose(req -> req.send(Buffer.buffer(body)).compose(resp -> resp.body()))
        .map(Buffer::toJsonObject);
  }

  /** Polls the instance until it is no longer running. */
  InstanceStatus awaitExit(String id) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      InstanceStatus s = await(client.status(id));
      if (!s.running()) {
        return s;
      }
      assertTrue(System.nanoTime() < deadline, "instance " + id + " still running");
      Thread.sleep(20);
    }
  }

  /**
   * Waits until the process is gone. A deleted fork child may still be exiting when DELETE
   * answers (its cgroup empties before the kernel reaps it): the contract promises it killed.
   */
  static void awaitGone(long pid, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ProcessHandle.of(pid).isPresent() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertTrue(ProcessHandle.of(pid).isEmpty(), what + " (pid " + pid + ") still there 10 s after it was killed");
  }

  /** SIGTERM and wait: forkd's clean shutdown (a JVM ended by SIGTERM exits with 143). */
  void stop() throws Exception {
    closeClients();
    process.destroy();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "forkd did not stop on SIGTERM");
    assertEquals(143, process.exitValue(), log(dataDir));
    assertTrue(log(dataDir).contains("forkd stopped"), log(dataDir));
  }

  /** SIGKILL: a crash that leaves everything behind for the next forkd. */
  void crash() throws Exception {
    closeClients();
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  private void closeClients() {
    client.close();
    http.close();
    vertx.close();
  }

  void close() throws Exception {
    if (process.isAlive()) {
      stop();
    }
  }
}
