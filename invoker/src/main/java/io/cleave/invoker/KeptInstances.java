package io.cleave.invoker;

import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.StartMode;
import io.cleave.flows.ForkedStepStarter;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Fork edges on this node ({@link ForkedStepStarter}): a producer's call runs in a kept instance
 * of its own (forkd's {@code keep} start: it serves the call, then stays, holding what the
 * function passed to {@code fdk.state.keep}). Each consumer call runs in a child forked from it
 * that loads the consumer's function; the children are ordered while the producer runs and forked
 * ahead ({@link KeptForks}, {@link KeptChildren}) by the instance the moment it answered, while the engine stores its
 * result, and a child that answered a call serves the consumer's next one ({@code warm}), so a map
 * forks at most its parallelism of
 * children, not one per item. A kept instance serves no other call while its run holds it; once
 * released, its children are deleted and it is the function's spare (one per function, deleted
 * after the function's idle_timeout unused), so the next run's producer call finds it ready
 * ({@code warm}) instead of paying a cold start, as a copy edge's producer finds a warm instance
 * (the runtime drops the state the last call kept first). While runs of the function overlap, a
 * spare is also started ahead for the next one. Kept instances, spares and children count
 * against the node's instance memory like any instance, and are deleted when the invoker closes;
 * forkd dies with the server, so none outlives a restart. Consumers run on the producer's node: a
 * kept instance is not forked to other nodes. State is touched on the invoker's loop.
 */
final class KeptInstances implements ForkedStepStarter {
  private static final Logger LOG = Logger.getLogger(KeptInstances.class.getName());
  /** The runtime's answer header with the bytes the function kept (docs/CONTRACTS.md). */
  static final String KEPT_BYTES = "cleave-kept-bytes";
  /** The header of a call that copies other producers' results into a kept instance (docs/CONTRACTS.md). */
  static final String COPY_FOR = "Cleave-Copy-For";
  /** A fork order's environment variable naming the copied results its child holds (docs/CONTRACTS.md). */
  static final String COPIED_ENV = "CLEAVE_COPIED";

  private final InvokerLoop loop;
  private final InstanceHost host;
  private final InstanceClient client;
  private final FunctionCode code;
  private final NodeMemory memory;
  private final String node;
  /** Kept instance id → the instance and the function version and config it runs. */
  private final Map<String, Held> kept = new HashMap<>();
  /** The consumers' children of the kept instances. */
  private final KeptForks forks;
  /** Each function's spare kept instance, for its next producer call. */
  private final KeptSpares spares;
  private boolean closed;

  /** A kept instance holding a producer's state for its run. */
  record Held(StartedInstance instance, Fn fn, Map<String, String> config) {}

  KeptInstances(Vertx vertx, InvokerLoop loop, InstanceHost host, InstanceClient client, FunctionCode code,
      NodeMemory memory, String node) {
    this.loop = loop;
    this.host = host;
    this.client = client;
    this.code = code;
    this.memory = memory;
    this.node = node;
    this.spares = new KeptSpares(vertx, loop, memory, this::delete);
    this.forks = new KeptForks(loop, host, client, code, memory, this::delete);
  }

  @Override
  public Optional<String> unavailable() {
    return Optional.empty();
  }

  @Override
  public Future<Optional<String>> interpreter(App app, Fn fn) {
    if (fn.image() == null || fn.image().isBlank()) {
      return Future.succeededFuture(Optional.empty());
    }
    return code.forkableLaunch(fn, config(app, fn)).map(l -> Optional.of(l.command().get(0)));
  }

  @Override
  public Future<KeptCall> callKept(Call call, List<ConsumerAhead> consumers) {
    Fn fn = call.fn();
    Map<String, String> config = config(call.app(), fn);
    boolean[] wasReady = new boolean[1];
    return onLoop(() -> {
      Future<StartedInstance> spare = spares.take(fn, config);
      wasReady[0] = spare != null && spare.succeeded();
      // A spare that failed to start leaves no reservation behind: start one now.
      return spare == null ? startKept(fn, config) : spare.recover(e -> onLoop(() -> startKept(fn, config)));
    }).compose(started -> {
      List<Future<StartedInstance>> forking = new ArrayList<>();
      loop.run(() -> forking.addAll(forks.orderAhead(started.instanceId(), call, consumers)));
      return answered(call, started, wasReady[0] ? StartMode.WARM : StartMode.COLD)
          .compose(result -> keepIfSucceeded(new Held(started, fn, config), result, forking,
                  () -> startSpareWhileRunsOverlap(fn, config)),
              failure -> {
                loop.run(() -> startSpare(fn, config));
                return onLoop(() -> {
                  forks.discard(started.instanceId());
                  return dropped(started.instanceId(), fn.memory(), failure);
                });
              });
    });
  }

  /** Reserves the function's memory and starts a kept instance of it (on the loop); a failed start gives it back. */
  private Future<StartedInstance> startKept(Fn fn, Map<String, String> config) {
    return memory.reserved(fn.memory(), "a kept instance of " + fn.name())
        .compose(v -> code.forkableLaunch(fn, config)
            .compose(l -> host.start(StartRequest.kept(fn.id(), fn.appId(), l.bundleDir().toString(), fn.memory(),
                l.command(), l.env())))
            .recover(failure -> onLoop(() -> {
              memory.release(fn.memory());
              return Future.failedFuture(failure);
            })));
  }

  /**
   * Starts the function's next kept instance ahead when another run holds a kept instance of it
   * too: runs that overlap each need one. A function's runs one after another need none started:
   * each run's kept instance, once released, is the next run's ({@link #release}), so no cold start
   * competes with the run's consumers for the node's CPU.
   */
  private void startSpareWhileRunsOverlap(Fn fn, Map<String, String> config) {
    if (kept.values().stream().filter(h -> h.fn().id().equals(fn.id())).count() > 1) {
      startSpare(fn, config);
    }
  }

  /**
   * Starts the function's next kept instance ahead, unless one is there, the node has no memory
   * for it or the invoker is closing; it goes after the function's idle_timeout unused.
   */
  private void startSpare(Fn fn, Map<String, String> config) {
    if (closed || spares.has(fn.id()) || !memory.reserve(fn.memory())) {
      return;
    }
    spares.offer(fn, config, loop.here(code.forkableLaunch(fn, config)
        .compose(l -> host.start(StartRequest.kept(fn.id(), fn.appId(), l.bundleDir().toString(), fn.memory(),
            l.command(), l.env())))));
  }

  @Override
  public Future<CallResult> callForked(Call call, KeptInstance from, int moreAfter, CopiedResults copied) {
    Fn fn = call.fn();
    KeptChildren[] pool = new KeptChildren[1];
    return onLoop(() -> {
      Held held = kept.get(from.id());
      if (held == null) {
        return Future.<KeptChildren.Child>failedFuture(new ApiError(409, "kept instance " + from.id() + " is gone"));
      }
      pool[0] = forks.childrenFor(held, call.app(), fn, 0, copied);
      return pool[0].take(moreAfter);
    }).compose(child -> answered(call, child.instance(), child.served() ? StartMode.WARM : StartMode.FORK)
        .transform(ar -> onLoop(() -> {
          pool[0].returned(child, ar.succeeded());
          return ar.succeeded() ? Future.succeededFuture(ar.result()) : Future.failedFuture(ar.cause());
        })));
  }

  @Override
  public void forkAhead(KeptInstance from, App app, Fn fn, int count, CopiedResults copied) {
    loop.run(() -> {
      Held held = kept.get(from.id());
      if (held != null) {
        KeptChildren children = forks.childrenFor(held, app, fn, count, copied);
        children.forkAhead(children.count);
      }
    });
  }

  /**
   * Deletes the kept instance's children and makes the instance the function's spare, as a warm
   * instance serves the function's next call: the runtime drops what the last call kept before
   * the next call ({@code fdk.state}), so the next run's producer finds only its own state. It is
   * deleted when the function has a spare already or the invoker is closing.
   */
  @Override
  public void release(KeptInstance instance) {
    loop.run(() -> {
      Held held = kept.remove(instance.id());
      forks.discard(instance.id());
      if (held != null) {
        retire(held);
      }
    });
  }

  /** The instance becomes the function's spare, or is deleted when it has one or the invoker is closing. */
  private void retire(Held held) {
    if (closed || spares.has(held.fn().id())) {
      delete(held.instance().instanceId(), held.fn().memory());
    } else {
      spares.offer(held.fn(), held.config(), Future.succeededFuture(held.instance()));
    }
  }

  /** Deletes every kept instance, spares too (the invoker is closing). */
  void close() {
    loop.run(() -> {
      closed = true;
      forks.close();
      kept.forEach((id, held) -> delete(id, held.fn().memory()));
      kept.clear();
      spares.close();
    });
  }

  static Map<String, String> config(App app, Fn fn) {
    Map<String, String> config = new HashMap<>();
    if (app.config() != null) {
      config.putAll(app.config());
    }
    if (fn.config() != null) {
      config.putAll(fn.config());
    }
    return config;
  }

  /** The instance's answer to the call, as the function gave it (the kept-bytes header taken out). */
  private Future<CallResult> answered(Call call, StartedInstance started, StartMode mode) {
    Instant deadline = Instant.now().plusSeconds(Math.max(1, call.fn().timeout()));
    return client.dispatch(started.listener(), call, deadline).compose(outcome -> {
      if (outcome instanceof InstanceClient.Answered a) {
        return Future.succeededFuture(new CallResult(a.status(), a.headers(), a.body(), mode, node));
      }
      if (outcome instanceof InstanceClient.TimedOut) {
        return Future.failedFuture(new ApiError(504, "function " + call.fn().name() + " timed out"));
      }
      String why = outcome instanceof InstanceClient.Broken b ? b.reason()
          : "answer larger than " + ((InstanceClient.TooLarge) outcome).limit() + " bytes";
      return Future.failedFuture(new ApiError(502, "function " + call.fn().name() + " failed: " + why));
    });
  }

  /**
   * Keeps the instance of a producer that succeeded and forks those of its consumers' children the
   * node had no memory for when the call started ({@link KeptForks#orderAhead}); then (on the loop)
   * {@code next}, the function's next spare if one is to start, once those children are forked: a
   * spare's cold start on this node's CPU would delay them, and with them the consumers' calls. The
   * instance of a producer that failed is retired at once, the children ordered from it deleted.
   */
  private Future<KeptCall> keepIfSucceeded(Held held, CallResult result, List<Future<StartedInstance>> forking,
      Runnable next) {
    String id = held.instance().instanceId();
    int mb = held.fn().memory();
    Map<String, List<String>> headers = new LinkedHashMap<>();
    long keptBytes = 0;
    for (var h : result.headers().entrySet()) {
      if (h.getKey().toLowerCase(Locale.ROOT).equals(KEPT_BYTES)) {
        keptBytes = parsedBytes(h.getValue());
      } else {
        headers.put(h.getKey(), h.getValue());
      }
    }
    CallResult answer = new CallResult(result.status(), headers, result.body(), result.startMode(), result.node());
    if (answer.status() != 200) { // the step failed: nobody will fork from this instance
      return onLoop(() -> {
        forks.discard(id);
        retire(held);
        return Future.succeededFuture(new KeptCall(answer, null));
      });
    }
    long bytes = keptBytes;
    return onLoop(() -> {
      kept.put(id, held);
      // Those the node had no memory for when the call started are forked now.
      forking.addAll(forks.forkWhatWaited(id));
      Future.join(forking).onComplete(done -> loop.run(next));
      return Future.succeededFuture(new KeptCall(answer, new KeptInstance(id, node, bytes)));
    });
  }

  private static long parsedBytes(List<String> values) {
    try {
      return values.isEmpty() ? 0 : Math.max(0, Long.parseLong(values.get(0).trim()));
    } catch (NumberFormatException e) {
      return 0; // the instance's own word, only used to pick which producer to fork from
    }
  }

  /** Deletes an instance that will not be used again; fails with {@code failure} when given. */
  private <T> Future<T> dropped(String id, int mb, Throwable failure) {
    return onLoop(() -> {
      delete(id, mb);
      return failure == null ? Future.succeededFuture() : Future.failedFuture(failure);
    });
  }

  void delete(String id, int mb) {
    memory.release(mb);
    host.delete(id).onFailure(e -> LOG.warning("cannot delete instance " + id + ": " + e.getMessage()));
  }

  private <T> Future<T> onLoop(Supplier<Future<T>> work) {
    Promise<T> p = Promise.promise();
    loop.run(() -> work.get().onComplete(p));
    return p.future();
  }
}
