package io.cleave.invoker;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.activation.Activation;
import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.json.Json;
import io.cleave.common.model.Fn;
import io.cleave.common.model.StartMode;
import io.cleave.forkd.api.ForkdClient;
import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's instance pools and the policy that feeds calls to them. Everything here runs on one
 * Vert.x context (the invoker's loop), so pool state needs no locks; forkd, instance and disk
 * work is asynchronous and its results are brought back to that context.
 *
 * <p>Per call, policy {@code fork}: a warm idle instance, else a fork of the function's seed,
 * else a cold start (the first cold start also starts the seed in the background). Policy
 * {@code keep-alive}: warm, else cold. Policy {@code cold-only}: a fresh instance per call.
 * Memory for instances and seeds is counted against the node's capacity; a call that finds no
 * room evicts idle instances (then seeds) of other functions, least recently used first, or waits
 * a bounded time and fails with 503.
 */
final class InstancePools {
  private static final Logger LOG = Logger.getLogger(InstancePools.class.getName());
  private static final long SEED_RETRY_AFTER_FAILED_START_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final long FORK_RETRY_AFTER_FAILED_FORK_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final Vertx vertx;
  private final Context loop;
  private final InvokerSettings settings;
  private final ForkdClient host;
  private final InstanceClient client;
  private final FunctionCode code;
  private final InvokerMetrics metrics;
  private final ActivationStore activations;
  private final Map<String, FunctionPool> pools = new HashMap<>();
  private final LinkedHashSet<FunctionPool> waitingForMemory = new LinkedHashSet<>();
  /** Activations whose record is being assembled (logs fetched); readers wait for them. */
  private final Map<String, Promise<Void>> unrecorded = new HashMap<>();
  private final List<Long> timers = new ArrayList<>();
  private long usedMb;
  private boolean wakeScheduled;
  private boolean closing;
  private volatile int startingCount;
  private volatile int idleCount;
  private volatile int busyCount;
  private volatile int seedCount;
  private volatile long instanceMemoryBytes;
  private volatile long seedMemoryBytes;

  InstancePools(
      Vertx vertx,
      Context loop,
      InvokerSettings settings,
      ForkdClient host,
      InstanceClient client,
      FunctionCode code,
      InvokerMetrics metrics,
      ActivationStore activations) {
    this.vertx = vertx;
    this.loop = loop;
    this.settings = settings;
    this.host = host;
    this.client = client;
    this.code = code;
    this.metrics = metrics;
    this.activations = activations;
    metrics.instancesGauge("starting", () -> startingCount);
    metrics.instancesGauge("idle", () -> idleCount);
    metrics.instancesGauge("busy", () -> busyCount);
    metrics.seedsGauge(() -> seedCount);
    metrics.memoryGauge("instance", () -> instanceMemoryBytes);
    metrics.memoryGauge("seed", () -> seedMemoryBytes);
    loop.runOnContext(
        v -> {
          timers.add(vertx.setPeriodic(1000, t -> countInstances()));
          timers.add(vertx.setPeriodic(10_000, t -> sampleMemory()));
        });
  }

  // ---- entry points (called on the loop) ----

  /** Takes a call; the promise completes with the function's answer or an {@link ApiError}. */
  void submit(Call call, Promise<CallResult> promise) {
    if (closing) {
      promise.fail(new ApiError(503, "the node is shutting down", 1));
      return;
    }
    FunctionPool pool = pools.computeIfAbsent(call.fn().id(), FunctionPool::new);
    if (pool.observe(call.fn(), call.app())) {
      retireAll(pool);
    }
    if (pool.fn.memory() > settings.memoryCapacityMb()) {
      Pending p = new Pending(call, promise);
      reject(pool, p, new ApiError(503, "function needs " + pool.fn.memory() + " MB, more than this node's "
          + settings.memoryCapacityMb() + " MB for instances"));
      return;
    }
    pool.queue.add(new Pending(call, promise));
    schedule(pool);
  }

  /**
   * The registry changed a function ({@code now}) or deleted it (null): its seed and idle instances
   * go at once, instances still starting go when they are up, busy ones after their calls. Calls
   * already accepted still run.
   */
  void fnChanged(String fnId, Fn now) {
    FunctionPool pool = pools.get(fnId);
    if (pool == null || pool.fn == null) {
      return;
    }
    if (now == null) {
      if (pool.queue.isEmpty()) {
        pool.forgetVersion(); // calls still queued run on the last version, then it idles out
      }
      retireAll(pool);
    } else if (pool.observe(now, null)) {
      retireAll(pool);
    }
    if (pool.isEmpty()) {
      pools.remove(fnId, pool);
    }
  }

  /** Completes once the activation with this id (if being assembled) is handed to the store. */
  Future<Void> recorded(String id) {
    Promise<Void> p = unrecorded.get(id);
    return p == null ? Future.succeededFuture() : p.future();
  }

  /** Completes once every activation being assembled now is handed to the store. */
  Future<Void> allRecorded() {
    List<Future<Void>> all = new ArrayList<>();
    unrecorded.values().forEach(p -> all.add(p.future()));
    return Future.all(all).mapEmpty();
  }

  /** Fails waiting calls and stops every instance and seed; completes when forkd confirmed (bounded). */
  Future<Void> close() {
    closing = true;
    timers.forEach(vertx::cancelTimer);
    List<Future<Void>> stops = new ArrayList<>();
    for (FunctionPool pool : pools.values()) {
      Pending p;
      while ((p = pool.queue.poll()) != null) {
        vertx.cancelTimer(p.capacityTimer);
        p.promise.tryFail(new ApiError(503, "the node is shutting down", 1));
      }
      for (Instance i : pool.instances) {
        if (i.id != null && !i.destroyed) {
          i.destroyed = true;
          stops.add(host.delete(i.id));
        }
      }
      if (pool.seed != null && pool.seed.id != null) {
        stops.add(host.delete(pool.seed.id));
      }
    }
    return Future.join(stops).timeout(10, TimeUnit.SECONDS).<Void>mapEmpty().otherwiseEmpty();
  }

  // ---- placement ----

  private void schedule(FunctionPool pool) {
    boolean singleUse = settings.policy() == Policy.COLD_ONLY;
    while (!pool.queue.isEmpty()) {
      Instance free = singleUse ? pool.freshSingleUse() : pool.freeInstance();
      if (free == null) {
        break;
      }
      dispatch(pool, pool.queue.poll(), free);
    }
    while (pool.queue.size() > pool.startingSlots && !closing) {
      if (!reserve(pool, pool.fn.memory())) {
        coverQueuedCalls(pool);
        waitForMemory(pool);
        return;
      }
      startInstance(pool);
    }
    waitingForMemory.remove(pool);
    coverQueuedCalls(pool);
  }

  /** Calls that instances being started will take no longer wait for memory. */
  private void coverQueuedCalls(FunctionPool pool) {
    int n = 0;
    for (Pending p : pool.queue) {
      if (n++ >= pool.startingSlots) {
        return;
      }
      if (p.capacityTimer >= 0) {
        vertx.cancelTimer(p.capacityTimer);
        p.capacityTimer = -1;
      }
    }
  }

  private void startInstance(FunctionPool pool) {
    Seed seed = pool.seed;
    boolean fork = settings.policy() == Policy.FORK && seed != null && seed.state == Seed.State.READY
        && seed.version.equals(pool.version) && System.nanoTime() >= pool.forkRetryAfterNanos;
    boolean singleUse = settings.policy() == Policy.COLD_ONLY;
    int slots = singleUse ? 1 : pool.concurrency();
    Instance inst = new Instance(pool.version, pool.fn.memory(), fork ? StartMode.FORK : StartMode.COLD, singleUse);
    if (!fork && pool.unforkable != null) {
      inst.startNote = "not forked: " + pool.unforkable;
    }
    pool.instances.add(inst);
    pool.startingSlots += slots;
    if (fork) {
      seed.lastUsedNanos = System.nanoTime();
    } else {
      maybeStartSeed(pool);
    }
    long t0 = System.nanoTime();
    String seedId = fork ? seed.id : null;
    here(launchOf(pool).compose(l -> host.start(fork
            ? StartRequest.fork(seedId, pool.fnId, pool.fn.appId(), pool.fn.memory(), l.env())
            : StartRequest.cold(pool.fnId, pool.fn.appId(), l.bundleDir().toString(), pool.fn.memory(), l.command(), l.env()))))
        .onComplete(
            ar -> {
              pool.startingSlots -= slots;
              if (ar.failed()) {
                pool.instances.remove(inst);
                inst.destroyed = true;
                release(inst.memoryMb);
                if (fork) {
                  // The call is not failed: it falls back to a cold start. Forks pause for a while, and a
                  // seed forkd no longer knows, or that has exited, is replaced.
                  LOG.log(Level.WARNING, "fork of seed " + seedId + " failed, starting cold: " + message(ar.cause()));
                  pool.forkRetryAfterNanos = System.nanoTime() + FORK_RETRY_AFTER_FAILED_FORK_NANOS;
                  if (pool.seed == seed && ar.cause() instanceof ApiError e && e.status() == 422) {
                    // The seed refused (threads it cannot carry into a child): this version starts cold.
                    pool.unforkable = e.getMessage();
                    retireSeed(pool);
                  } else if (pool.seed == seed && ar.cause() instanceof ApiError e
                      && (e.status() == 404 || e.status() == 409)) {
                    retireSeed(pool);
                  }
                } else {
                  failOne(pool, startError(ar.cause()));
                }
                schedule(pool);
                return;
              }
              StartedInstance started = ar.result();
              inst.id = started.instanceId();
              inst.listener = started.listener();
              inst.output = java.nio.file.Path.of(started.listener()).resolveSibling("output");
              long nanos = System.nanoTime() - t0;
              inst.initMs = TimeUnit.NANOSECONDS.toMillis(nanos);
              inst.state = Instance.State.READY;
              inst.lastUsedNanos = System.nanoTime();
              metrics.instanceStarted(inst.origin, nanos);
              if (closing || !inst.version.equals(pool.version)) {
                retire(pool, inst);
              }
              schedule(pool);
              if (inst.state == Instance.State.READY && inst.active == 0) {
                if (inst.singleUse) {
                  retire(pool, inst);
                } else {
                  armIdle(pool, inst);
                }
              }
            });
  }

  private Future<FunctionCode.Launch> launchOf(FunctionPool pool) {
    if (pool.launch == null) {
      Future<FunctionCode.Launch> f = here(code.launch(pool.fn, pool.version.config()));
      pool.launch = f;
      // A future that failed already runs this handler at once: answer f, not the cleared field.
      f.onFailure(e -> {
        if (pool.launch == f) {
          pool.launch = null;
        }
      });
      return f;
    }
    return pool.launch;
  }

  private void maybeStartSeed(FunctionPool pool) {
    if (settings.policy() != Policy.FORK || pool.seed != null || pool.unforkable != null || closing
        || System.nanoTime() < pool.seedRetryAfterNanos) {
      return;
    }
    int mb = pool.fn.memory();
    if (usedMb + mb > settings.memoryCapacityMb()) {
      return; // a seed never pushes out running work; the next cold start tries again
    }
    usedMb += mb;
    Seed seed = new Seed(pool.version, mb);
    pool.seed = seed;
    here(launchOf(pool).compose(l -> host.start(
            StartRequest.seed(pool.fnId, pool.fn.appId(), l.bundleDir().toString(), mb, l.command(), l.env()))))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.log(Level.WARNING, "seed of function " + pool.fnId + " did not start: " + message(ar.cause()));
                if (pool.seed == seed) {
                  pool.seed = null;
                }
                seed.state = Seed.State.RETIRED;
                release(seed.memoryMb);
                pool.seedRetryAfterNanos = System.nanoTime() + SEED_RETRY_AFTER_FAILED_START_NANOS;
                return;
              }
              seed.id = ar.result().instanceId();
              if (pool.seed != seed || closing || !seed.version.equals(pool.version)) {
                seed.state = Seed.State.RETIRED;
                stopQuietly(seed.id);
                release(seed.memoryMb);
                return;
              }
              seed.state = Seed.State.READY;
              seed.lastUsedNanos = System.nanoTime();
              armSeedReclaim(pool, seed, settings.seedIdle().toMillis());
              // Calls queued behind cold starts may now be served faster by forks.
              schedule(pool);
            });
  }

  private void armSeedReclaim(FunctionPool pool, Seed seed, long delayMs) {
    seed.reclaimTimer =
        vertx.setTimer(
            Math.max(1, delayMs),
            t -> {
              if (pool.seed != seed || seed.state != Seed.State.READY) {
                return;
              }
              long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - seed.lastUsedNanos);
              long left = settings.seedIdle().toMillis() - idleMs;
              if (left > 0) {
                armSeedReclaim(pool, seed, left);
              } else {
                retireSeed(pool);
              }
            });
  }

  private void retireSeed(FunctionPool pool) {
    Seed seed = pool.seed;
    if (seed == null) {
      return;
    }
    pool.seed = null;
    vertx.cancelTimer(seed.reclaimTimer);
    if (seed.state == Seed.State.READY) {
      seed.state = Seed.State.RETIRED;
      stopQuietly(seed.id);
      release(seed.memoryMb);
    }
    // A seed still starting is stopped and released when its start completes (it is no longer pool.seed).
  }

  // ---- memory ----

  private boolean reserve(FunctionPool pool, int mb) {
    if (usedMb + mb > settings.memoryCapacityMb()) {
      evictFor(usedMb + mb - settings.memoryCapacityMb(), pool);
    }
    if (usedMb + mb > settings.memoryCapacityMb()) {
      return false;
    }
    usedMb += mb;
    return true;
  }

  /** Frees at least {@code needMb} by stopping idle instances, then seeds, of other functions, LRU first. */
  private void evictFor(long needMb, FunctionPool requester) {
    List<Map.Entry<FunctionPool, Instance>> idle = new ArrayList<>();
    for (FunctionPool p : pools.values()) {
      if (p == requester) {
        continue;
      }
      for (Instance i : p.instances) {
        if (i.state == Instance.State.READY && i.active == 0) {
          idle.add(Map.entry(p, i));
        }
      }
    }
    idle.sort(Comparator.comparingLong(e -> e.getValue().lastUsedNanos));
    long freed = 0;
    for (Map.Entry<FunctionPool, Instance> e : idle) {
      if (freed >= needMb) {
        return;
      }
      freed += e.getValue().memoryMb;
      retire(e.getKey(), e.getValue());
    }
    List<FunctionPool> seeded = new ArrayList<>();
    for (FunctionPool p : pools.values()) {
      if (p != requester && p.seed != null && p.seed.state == Seed.State.READY) {
        seeded.add(p);
      }
    }
    seeded.sort(Comparator.comparingLong(p -> p.seed.lastUsedNanos));
    for (FunctionPool p : seeded) {
      if (freed >= needMb) {
        return;
      }
      freed += p.seed.memoryMb;
      retireSeed(p);
    }
  }

  /** Memory is counted free as soon as forkd is told to stop the instance: the kill is immediate. */
  private void release(int mb) {
    usedMb -= mb;
    if (!waitingForMemory.isEmpty() && !wakeScheduled) {
      wakeScheduled = true;
      loop.runOnContext(
          v -> {
            wakeScheduled = false;
            for (FunctionPool p : new ArrayList<>(waitingForMemory)) {
              waitingForMemory.remove(p);
              schedule(p);
            }
          });
    }
  }

  private void waitForMemory(FunctionPool pool) {
    waitingForMemory.add(pool);
    int covered = 0;
    for (Pending p : pool.queue) {
      if (covered++ < pool.startingSlots || p.capacityTimer >= 0) {
        continue;
      }
      p.capacityTimer =
          vertx.setTimer(
              Math.max(1, settings.capacityWait().toMillis()),
              t -> {
                if (pool.queue.remove(p)) {
                  int retry = (int) Math.max(1, settings.capacityWait().toSeconds());
                  reject(pool, p, new ApiError(503, "no capacity on this node for function " + pool.fnId
                      + " (" + pool.fn.memory() + " MB) within " + settings.capacityWait().toMillis() + " ms", retry));
                }
              });
    }
  }

  // ---- calls ----

  private void dispatch(FunctionPool pool, Pending pending, Instance inst) {
    vertx.cancelTimer(pending.capacityTimer);
    pending.capacityTimer = -1;
    inst.active++;
    cancelIdle(inst);
    inst.lastUsedNanos = System.nanoTime();
    StartMode mode = inst.served ? StartMode.WARM : inst.origin;
    long initMs = inst.served ? 0 : inst.initMs;
    String startNote = inst.served ? null : inst.startNote;
    inst.served = true;
    long waitMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pending.arrivedNanos);
    int timeoutSeconds = Math.max(1, pool.fn.timeout());
    Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
    here(client.dispatch(inst.listener, pending.call, deadline)).onComplete(
        ar -> finish(pool, pending, inst, mode, initMs, startNote, waitMs, timeoutSeconds,
            ar.succeeded() ? ar.result() : new InstanceClient.Broken(message(ar.cause()), true)));
  }

  private void finish(
      FunctionPool pool, Pending pending, Instance inst, StartMode mode, long initMs, String startNote, long waitMs,
      int timeoutSeconds, InstanceClient.Outcome outcome) {
    if (outcome instanceof InstanceClient.Broken b && !b.delivered() && !pending.redispatched) {
      // The instance is gone and the function never saw the call: replace the instance, run the call again.
      inst.active--;
      retire(pool, inst);
      pending.redispatched = true;
      pool.queue.addFirst(pending);
      schedule(pool);
      return;
    }
    // The call's output ends where the file ends now: the runtime writes unbuffered, so what the call
    // printed is there before its answer, and the next call on this instance has not started.
    long logFrom = inst.logOffset;
    long logTo = outputSize(inst);
    inst.logOffset = Math.max(logFrom, logTo);
    String callId = pending.call.id();
    Promise<Void> recorded = Promise.promise();
    unrecorded.put(callId, recorded);
    Future<Result> result;
    if (outcome instanceof InstanceClient.Answered a) {
      if (a.status() == 504) {
        result = Future.succeededFuture(Result.failure("timeout", new ApiError(504, timedOut(timeoutSeconds))));
      } else {
        boolean ok = a.status() < 400;
        result = Future.succeededFuture(new Result(
            ok ? "success" : "error", a.status(), new CallResult(a.status(), a.headers(), a.body(), mode),
            null, ok ? null : errorMessage(a.body()), a.body().length(), a.status() == 502));
      }
    } else if (outcome instanceof InstanceClient.TimedOut) {
      result = Future.succeededFuture(Result.failure("timeout", new ApiError(504, timedOut(timeoutSeconds))));
    } else if (outcome instanceof InstanceClient.TooLarge t) {
      result = Future.succeededFuture(Result.failure("error",
          new ApiError(502, "function answer is larger than " + t.limit() + " bytes")));
    } else {
      InstanceClient.Broken b = (InstanceClient.Broken) outcome;
      result = here(host.status(inst.id))
          .map(s -> s.oomKilled()
              ? Result.failure("oom", new ApiError(502, "function ran out of memory (limit " + inst.memoryMb + " MB)"))
              : Result.failure("crashed", new ApiError(502, crashed(s, b.reason()))))
          .otherwise(e -> Result.failure("crashed", new ApiError(502, "function crashed: " + b.reason())));
    }
    result.onSuccess(r -> {
      Instant end = Instant.now();
      if (r.answer() != null) {
        pending.promise.tryComplete(r.answer());
      } else {
        pending.promise.tryFail(r.error());
      }
      inst.active--;
      inst.lastUsedNanos = System.nanoTime();
      long durationNanos = System.nanoTime() - pending.arrivedNanos;
      metrics.invocation(pool.fnId, r.status(), mode, durationNanos);
      Call call = pending.call;
      Instant start = call.receivedAt() == null ? end.minusNanos(durationNanos) : call.receivedAt();
      Activation activation = new Activation(
          callId, call.fn().appId(), pool.fnId, settings.node(), mode, r.status(), r.httpStatus(), start, end,
          TimeUnit.NANOSECONDS.toMillis(durationNanos), waitMs, initMs, r.responseSize(), r.message(), startNote);
      if (r.retire() || inst.singleUse || !inst.version.equals(pool.version)) {
        inst.state = Instance.State.RETIRED;
      }
      Future<String> logs = readOutput(inst.output, logFrom, logTo);
      Future<String> slice = logs;
      inst.logsSettled = inst.logsSettled.transform(v -> slice).mapEmpty();
      logs.onComplete(l -> {
        activations.record(activation, l.succeeded() ? l.result() : "[cleave: output unavailable: " + message(l.cause()) + "]\n");
        unrecorded.remove(callId);
        recorded.complete();
        if (inst.state == Instance.State.RETIRED) {
          destroyIfDone(pool, inst);
        }
      });
      if (inst.state == Instance.State.READY) {
        if (inst.active == 0) {
          armIdle(pool, inst);
        }
        schedule(pool);
      }
    });
  }

  /** What became of one call. */
  private record Result(
      String status, int httpStatus, CallResult answer, ApiError error, String message, long responseSize,
      boolean retire) {
    static Result failure(String status, ApiError error) {
      return new Result(status, error.status(), null, error, error.getMessage(), 0, true);
    }
  }

  /**
   * The size of the instance's output file. A stat of a local file: it never waits on a device,
   * so it is done right here, where the call's boundary is known, instead of on a worker.
   */
  private static long outputSize(Instance inst) {
    try {
      return inst.output == null ? -1 : java.nio.file.Files.size(inst.output);
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  /** The call's slice of the output, read on a worker, bounded to the per-call limit with a marker. */
  private Future<String> readOutput(java.nio.file.Path output, long from, long to) {
    if (output == null || to < 0) {
      return Future.succeededFuture("[cleave: output unavailable]\n");
    }
    if (to <= from) {
      return Future.succeededFuture("");
    }
    int limit = settings.logLimitBytes();
    return here(vertx.executeBlocking(() -> {
      long length = to - from;
      int take = (int) Math.min(length, limit);
      byte[] bytes = new byte[take];
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(output)) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          if (ch.read(buf, from + buf.position()) < 0) {
            break;
          }
        }
        String text = new String(bytes, 0, buf.position(), StandardCharsets.UTF_8);
        return length > take ? text + "\n[cleave: output truncated, " + (length - take) + " more bytes]\n" : text;
      }
    }, false));
  }

  private void reject(FunctionPool pool, Pending p, ApiError error) {
    p.promise.tryFail(error);
    metrics.invocation(pool.fnId, "rejected", null, System.nanoTime() - p.arrivedNanos);
    Instant now = Instant.now();
    Call c = p.call;
    Instant start = c.receivedAt() == null ? now : c.receivedAt();
    activations.record(new Activation(c.id(), c.fn().appId(), pool.fnId, settings.node(), null, "rejected",
        error.status(), start, now, Math.max(0, now.toEpochMilli() - start.toEpochMilli()),
        Math.max(0, now.toEpochMilli() - start.toEpochMilli()), 0, 0, error.getMessage(), null), "");
  }

  private void failOne(FunctionPool pool, ApiError error) {
    Pending p = pool.queue.poll();
    if (p != null) {
      vertx.cancelTimer(p.capacityTimer);
      p.promise.tryFail(error);
      metrics.invocation(pool.fnId, "error", null, System.nanoTime() - p.arrivedNanos);
      Instant now = Instant.now();
      Instant start = p.call.receivedAt() == null ? now : p.call.receivedAt();
      activations.record(new Activation(p.call.id(), p.call.fn().appId(), pool.fnId, settings.node(), null, "error",
          error.status(), start, now, Math.max(0, now.toEpochMilli() - start.toEpochMilli()), 0, 0, 0,
          error.getMessage(), null), "");
    }
  }

  // ---- instance lifecycle ----

  private void armIdle(FunctionPool pool, Instance inst) {
    cancelIdle(inst);
    long ms = Math.max(1, pool.fn.idleTimeout()) * 1000L;
    inst.idleTimer = vertx.setTimer(ms, t -> {
      inst.idleTimer = -1;
      if (inst.state == Instance.State.READY && inst.active == 0) {
        retire(pool, inst);
      }
    });
  }

  private void cancelIdle(Instance inst) {
    if (inst.idleTimer >= 0) {
      vertx.cancelTimer(inst.idleTimer);
      inst.idleTimer = -1;
    }
  }

  private void retireAll(FunctionPool pool) {
    for (Instance i : new ArrayList<>(pool.instances)) {
      if (i.state == Instance.State.READY) {
        retire(pool, i);
      }
    }
    retireSeed(pool);
  }

  private void retire(FunctionPool pool, Instance inst) {
    inst.state = Instance.State.RETIRED;
    cancelIdle(inst);
    destroyIfDone(pool, inst);
  }

  private void destroyIfDone(FunctionPool pool, Instance inst) {
    if (inst.destroyed || inst.active > 0 || inst.id == null) {
      return;
    }
    inst.destroyed = true;
    pool.instances.remove(inst);
    release(inst.memoryMb);
    String id = inst.id;
    inst.logsSettled.onComplete(v -> stopQuietly(id));
  }

  private void stopQuietly(String instanceId) {
    host.delete(instanceId).onFailure(e -> LOG.log(Level.WARNING, "stopping instance " + instanceId + " failed: " + message(e)));
  }

  // ---- gauges ----

  private void countInstances() {
    int starting = 0;
    int idle = 0;
    int busy = 0;
    int seeds = 0;
    pools.values().removeIf(FunctionPool::isEmpty);
    for (FunctionPool p : pools.values()) {
      for (Instance i : p.instances) {
        if (i.state == Instance.State.STARTING) {
          starting++;
        } else if (i.state == Instance.State.READY) {
          if (i.active == 0) {
            idle++;
          } else {
            busy++;
          }
        } else if (i.active > 0) {
          busy++;
        }
      }
      if (p.seed != null && p.seed.state == Seed.State.READY) {
        seeds++;
      }
    }
    startingCount = starting;
    idleCount = idle;
    busyCount = busy;
    seedCount = seeds;
  }

  private void sampleMemory() {
    List<Future<Long>> instances = new ArrayList<>();
    List<Future<Long>> seeds = new ArrayList<>();
    for (FunctionPool p : pools.values()) {
      for (Instance i : p.instances) {
        if (i.id != null && !i.destroyed) {
          instances.add(host.status(i.id).map(InstanceStatus::memoryBytes).otherwise(0L));
        }
      }
      if (p.seed != null && p.seed.id != null) {
        seeds.add(host.status(p.seed.id).map(InstanceStatus::memoryBytes).otherwise(0L));
      }
    }
    Future.all(instances).onComplete(v -> instanceMemoryBytes = sum(instances));
    Future.all(seeds).onComplete(v -> seedMemoryBytes = sum(seeds));
  }

  private static long sum(List<Future<Long>> parts) {
    long total = 0;
    for (Future<Long> f : parts) {
      total += f.succeeded() ? f.result() : 0;
    }
    return total;
  }

  // ---- helpers ----

  /** The future, completed on the loop whatever thread completes the original. */
  private <T> Future<T> here(Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> {
      if (Vertx.currentContext() == loop) {
        p.handle(ar);
      } else {
        loop.runOnContext(v -> p.handle(ar));
      }
    });
    return p.future();
  }

  private static ApiError startError(Throwable e) {
    if (e instanceof ApiError api) {
      if (api.status() == 503) {
        return new ApiError(503, "no capacity on this node: " + api.getMessage(), 1);
      }
      return api.status() >= 500 ? api : new ApiError(502, "function could not start: " + api.getMessage());
    }
    return new ApiError(502, "function could not start: " + message(e));
  }

  private static String timedOut(int seconds) {
    return "function timed out after " + seconds + " s";
  }

  private static String crashed(InstanceStatus s, String reason) {
    if (s.signal() != null && s.signal() != 0) {
      return "function crashed: killed by signal " + s.signal();
    }
    if (s.exitCode() != null) {
      return "function crashed: process exited with code " + s.exitCode();
    }
    return "function crashed: " + reason;
  }

  private static String errorMessage(Buffer body) {
    try {
      JsonNode n = Json.MAPPER.readTree(body.getBytes());
      if (n != null && n.hasNonNull("message")) {
        return n.get("message").asText();
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not JSON: keep the raw text below
    }
    String raw = body.toString(StandardCharsets.UTF_8);
    return raw.length() > 1024 ? raw.substring(0, 1024) : raw;
  }

  private static String message(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
