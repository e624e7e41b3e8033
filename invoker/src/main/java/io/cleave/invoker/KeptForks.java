package io.cleave.invoker;

import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.flows.ForkedStepStarter.ConsumerAhead;
import io.cleave.flows.ForkedStepStarter.CopiedResults;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * The consumers' children of {@link KeptInstances}: ordered from a kept instance while its
 * producer's call runs (forked by the instance the moment it answered), forked ahead of the
 * consumers' calls, each consumer's {@link KeptChildren} pool per instance, and the other
 * producers' results copied into an instance once for the children that read them. Touched on the
 * invoker's loop.
 */
final class KeptForks {
  private static final Logger LOG = Logger.getLogger(KeptForks.class.getName());

  private final InvokerLoop loop;
  private final InstanceHost host;
  private final InstanceClient client;
  private final FunctionCode code;
  private final NodeMemory memory;
  /** Deletes an instance (its id) and gives its memory (MB) back. */
  private final BiConsumer<String, Integer> delete;
  private boolean closed;
  /** Kept instance id → consumer function id → its children of that instance. */
  private final Map<String, Map<String, KeptChildren>> ahead = new HashMap<>();

  KeptForks(InvokerLoop loop, InstanceHost host, InstanceClient client, FunctionCode code, NodeMemory memory,
      BiConsumer<String, Integer> delete) {
    this.loop = loop;
    this.host = host;
    this.client = client;
    this.code = code;
    this.memory = memory;
    this.delete = delete;
  }

  /**
   * Orders the children of {@code consumers} from the kept instance {@code id} now, while it runs
   * the producer's call: it takes the orders and forks them the moment it answered that call, so
   * no fork waits for the answer to reach the engine and an order to come back (a call that fails
   * gets no child: the orders are refused). On the loop.
   */
  List<Future<StartedInstance>> orderAhead(String id, Call call, List<ConsumerAhead> consumers) {
    // Function timeouts stay within 300 s (Rules.MAX_TIMEOUT), forkd takes waits up to an hour.
    StartRequest.ForkAfter after =
        new StartRequest.ForkAfter(call.id(), Math.min(3600, Math.max(1, call.fn().timeout())));
    Map<String, KeptChildren> byFn = new HashMap<>();
    ahead.put(id, byFn);
    List<Future<StartedInstance>> forking = new ArrayList<>();
    for (ConsumerAhead c : consumers) {
      KeptChildren children = children(id, c.app(), c.fn(), c.count(), null, null, after);
      byFn.put(c.fn().id(), children);
      forking.addAll(children.forkAhead(children.count));
    }
    return forking;
  }

  /** Deletes the children of the kept instance {@code id}: its producer's call failed, or its run released it. On the loop. */
  void discard(String id) {
    Map<String, KeptChildren> children = ahead.remove(id);
    if (children != null) {
      children.values().forEach(KeptChildren::discard);
    }
  }

  /**
   * The consumer's children of a kept instance, forking at most {@code count} ahead of its calls,
   * each once {@code copied} (null: nothing) is copied into the instance ({@code from}, given with
   * {@code copied}) and, with {@code after}, once the instance answered that call.
   */
  private KeptChildren children(String keptId, App app, Fn fn, int count, CopiedResults copied,
      KeptInstances.Held from, StartRequest.ForkAfter after) {
    int mb = fn.memory();
    // Named by consumer and steps: two steps of one function may fork from one instance with
    // other copied results, each child adopting its own.
    String copiedKey = copied == null ? null : fn.id() + "/" + String.join(",", copied.steps());
    Future<Void> copiedIn = copied == null ? Future.succeededFuture() : copyIn(from, app, fn, copiedKey, copied);
    KeptChildren children = new KeptChildren(app, fn, count, copied == null ? List.of() : copied.steps(),
        new KeptChildren.Forking() {
      @Override
      public Future<StartedInstance> fork(boolean ahead) {
        // A child forked ahead never makes a call wait for memory.
        if (ahead && (closed || memory.shortOf(mb) > 0 || !memory.reserve(mb))) {
          return null;
        }
        Future<Void> reserved = ahead ? Future.succeededFuture() : memory.reserved(mb, "a fork of kept instance " + keptId);
        return reserved.compose(v -> copiedIn.compose(c -> loop.here(forkOf(keptId, app, fn, copiedKey, after)))
            .onFailure(e -> {
              memory.release(mb);
              LOG.fine("cannot fork from kept instance " + keptId + ": " + e.getMessage());
            }));
      }

      @Override
      public void delete(StartedInstance child) {
        delete.accept(child.instanceId(), mb);
      }
    });
    // A copy the instance did not take fails the calls waiting; the next call tries it again.
    copiedIn.onFailure(e -> loop.run(() -> {
      Map<String, KeptChildren> byFn = ahead.get(keptId);
      if (byFn != null) {
        byFn.remove(fn.id(), children);
      }
    }));
    return children;
  }

  private Future<StartedInstance> forkOf(String keptId, App app, Fn fn, String copiedKey,
      StartRequest.ForkAfter after) {
    return code.forkableLaunch(fn, KeptInstances.config(app, fn)).compose(l -> {
      Map<String, String> env = l.env();
      if (copiedKey != null) {
        env = new HashMap<>(env);
        env.put(KeptInstances.COPIED_ENV, copiedKey);
      }
      return host.start(StartRequest.forkOfKept(keptId, fn.id(), fn.appId(), l.bundleDir().toString(), fn.memory(),
          l.command(), env, after));
    });
  }

  /**
   * The consumer's children of the kept instance (made, forking {@code count} ahead, when the
   * producer's answer named no such consumer); those of an older version of the consumer, or
   * holding other copied results, are deleted.
   */
  KeptChildren childrenFor(KeptInstances.Held from, App app, Fn fn, int count, CopiedResults copied) {
    String keptId = from.instance().instanceId();
    Map<String, KeptChildren> byFn = ahead.computeIfAbsent(keptId, k -> new HashMap<>());
    KeptChildren children = byFn.get(fn.id());
    // The function and the app's config make the child's config: equal, it is the same.
    if (children != null && (!children.fn.equals(fn) || !Objects.equals(children.app.config(), app.config())
        || !children.copied.equals(copied == null ? List.of() : copied.steps()))) {
      byFn.remove(fn.id());
      children.discard();
      children = null;
    }
    if (children == null) {
      children = children(keptId, app, fn, count, copied, from, null);
      byFn.put(fn.id(), children);
    }
    return children;
  }

  /**
   * Copies other producers' results into the kept instance for {@code consumer}'s children: a call
   * to it with {@code Cleave-Copy-For: <key>} whose body is the results by step name, parsed there
   * once, not by the children, which adopt them by that key ({@link KeptInstances#COPIED_ENV}; docs/CONTRACTS.md).
   */
  private Future<Void> copyIn(KeptInstances.Held held, App app, Fn consumer, String key, CopiedResults copied) {
    String keptId = held.instance().instanceId();
    Call call = new Call("copy-" + keptId + "-" + consumer.id(), app, held.fn(), "POST", "/call",
        Map.of(KeptInstances.COPY_FOR, List.of(key), "Content-Type", List.of("application/json")), copied.body(),
        Instant.now());
    Instant deadline = Instant.now().plusSeconds(Math.max(1, held.fn().timeout()));
    return loop.here(client.dispatch(held.instance().listener(), call, deadline).compose(outcome ->
        outcome instanceof InstanceClient.Answered a && a.status() == 200 ? Future.<Void>succeededFuture()
            : Future.<Void>failedFuture(new ApiError(502, "kept instance " + keptId + " did not take the results of "
                + String.join(", ", copied.steps()) + " for " + consumer.name() + ": " + refusal(outcome)))));
  }

  private static String refusal(InstanceClient.Outcome outcome) {
    if (outcome instanceof InstanceClient.Answered a) {
      String text = a.body() == null ? "" : a.body().toString(java.nio.charset.StandardCharsets.UTF_8);
      return "it answered " + a.status() + (text.isBlank() ? "" : " " + text.substring(0, Math.min(200, text.length())));
    }
    return outcome instanceof InstanceClient.Broken b ? b.reason() : "no answer in time";
  }

  /**
   * Forks now the children ordered from the kept instance {@code id} that the node had no memory
   * for when its producer's call started. On the loop.
   */
  List<Future<StartedInstance>> forkWhatWaited(String id) {
    List<Future<StartedInstance>> forking = new ArrayList<>();
    for (KeptChildren children : ahead.getOrDefault(id, Map.of()).values()) {
      forking.addAll(children.forkAhead(children.count));
    }
    return forking;
  }

  /** Deletes every child of every kept instance (the invoker is closing). On the loop. */
  void close() {
    closed = true;
    ahead.values().forEach(byFn -> byFn.values().forEach(KeptChildren::discard));
    ahead.clear();
  }
}
