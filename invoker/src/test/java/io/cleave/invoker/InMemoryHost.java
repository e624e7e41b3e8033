package io.cleave.invoker;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.StartMode;
import io.cleave.forkd.api.ForkdStats;
import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An instance host in memory, for tests that need no root: every instance is an HTTP server on a
 * unix socket answering {@code POST /call} as the FDK does (body {@code "<instance id> <call body>"}),
 * and writing one line per call to its {@code output} file next to the listener. Seeds serve no
 * calls; a fork needs a live seed. Calls whose body is {@code hold} are answered only on
 * {@link #releaseHeld}. The host can be told to refuse forks as a seed with threads does (422).
 * Memory and output sizes are not measured: status reports 0.
 */
final class InMemoryHost implements InstanceHost {
  /** One start the host was asked for, in order. */
  record Start(String instanceId, String fnId, StartMode mode, boolean seed) {}

  private record Live(Start start, HttpServer server, AsyncFile output) {}

  private final Vertx vertx;
  private final Path root;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<String, Live> live = new ConcurrentHashMap<>();
  private final List<Start> starts = new CopyOnWriteArrayList<>();
  private final Queue<Runnable> held = new ConcurrentLinkedQueue<>();
  private final Queue<String> served = new ConcurrentLinkedQueue<>();
  private volatile String forkRefusal;
  private volatile boolean noForkPrimitive;

  InMemoryHost(Vertx vertx, Path root) {
    this.vertx = vertx;
    this.root = root;
  }

  /** From now on every fork is refused with 422 and this reason, as forkd relays a seed's refusal. */
  void refuseForks(String reason) {
    forkRefusal = reason;
  }

  /** From now on seeds to prepare for remote forks are refused with 501, as on a node without the primitive. */
  void withoutForkPrimitive() {
    noForkPrimitive = true;
  }

  List<Start> starts() {
    return List.copyOf(starts);
  }

  /** Instances and seeds running now. */
  List<Start> live() {
    return live.values().stream().map(Live::start).toList();
  }

  boolean isLive(String instanceId) {
    return live.containsKey(instanceId);
  }

  /** How many times an instance received the call with this id. */
  long served(String callId) {
    return served.stream().filter(callId::equals).count();
  }

  int heldCalls() {
    return held.size();
  }

  /** Answers every held call. */
  void releaseHeld() {
    Runnable answer;
    while ((answer = held.poll()) != null) {
      answer.run();
    }
  }

  @Override
  public Future<StartedInstance> start(StartRequest request) {
    if (request.mode() == StartMode.FORK) {
      Live seed = live.get(request.seedId());
      if (seed == null || !seed.start().seed()) {
        return Future.failedFuture(new ApiError(404, "unknown seed " + request.seedId()));
      }
      if (forkRefusal != null) {
        return Future.failedFuture(new ApiError(422, forkRefusal));
      }
    }
    if (noForkPrimitive && Boolean.TRUE.equals(request.prepare())) {
      return Future.failedFuture(new ApiError(501, "remote fork is unavailable on this node: no primitive"));
    }
    String id = (request.seed() ? "s-" : "c-") + ids.incrementAndGet();
    Start start = new Start(id, request.fnId(), request.mode(), request.seed());
    starts.add(start);
    if (request.seed()) {
      live.put(id, new Live(start, null, null));
      return Future.succeededFuture(new StartedInstance(id, 0, null, StartMode.COLD, 0, null, null));
    }
    Path dir = root.resolve(id);
    Path listener = dir.resolve("lsnr.sock");
    HttpServer server = vertx.createHttpServer();
    return vertx.fileSystem().mkdirs(dir.toString())
        .compose(v -> vertx.fileSystem().open(dir.resolve("output").toString(), new OpenOptions().setAppend(true)))
        .compose(output -> {
          server.requestHandler(req -> serve(id, output, req));
          return server.listen(SocketAddress.domainSocketAddress(listener.toString()))
              .map(s -> {
                live.put(id, new Live(start, server, output));
                return new StartedInstance(id, 0, listener.toString(), request.mode(), 0, null, null);
              });
        });
  }

  private void serve(String id, AsyncFile output, HttpServerRequest req) {
    if (!"/call".equals(req.path())) {
      req.response().setStatusCode(404).end("not found: " + req.path()); // the FDK's answer, the function unasked
      return;
    }
    served.add(req.getHeader("Fn-Call-Id"));
    req.body().compose(body -> output.write(Buffer.buffer("call " + req.getHeader("Fn-Call-Id") + " on " + id + "\n"))
            .map(v -> body))
        .onSuccess(body -> {
          Runnable answer = () -> req.response().end(id + " " + body);
          if (body.toString().equals("hold")) {
            held.add(answer);
          } else {
            answer.run();
          }
        });
  }

  @Override
  public Future<InstanceStatus> status(String instanceId) {
    Live l = live.get(instanceId);
    if (l == null) {
      return Future.failedFuture(new ApiError(404, "unknown instance " + instanceId));
    }
    return Future.succeededFuture(new InstanceStatus(instanceId, "running", null, null, false, 0, 0, 0, null, null, 0));
  }

  /** No remote forks and no page server here: every count is 0. */
  @Override
  public Future<ForkdStats> stats() {
    return Future.succeededFuture(new ForkdStats(1, new ForkdStats.RemoteForks(0, Map.of(), 0, 0, 0, 0),
        new ForkdStats.PageServer(0, 0, 0)));
  }

  @Override
  public Future<Void> delete(String instanceId) {
    Live l = live.remove(instanceId);
    if (l == null) {
      return Future.failedFuture(new ApiError(404, "unknown instance " + instanceId));
    }
    if (l.server() == null) {
      return Future.succeededFuture();
    }
    return l.server().close().compose(v -> l.output().close());
  }

  /** Stops whatever still runs. */
  void close() {
    live.keySet().forEach(id -> Waits.await(delete(id)));
  }
}
