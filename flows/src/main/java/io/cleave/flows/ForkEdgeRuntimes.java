package io.cleave.flows;

import io.cleave.common.error.ApiError;
import io.cleave.common.flow.EdgePass;
import io.cleave.common.flow.FlowEdge;
import io.cleave.common.flow.FlowStep;
import io.cleave.registry.FnTarget;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The create-time check that both functions of each {@code fork} edge run on one interpreter on
 * this node: the consumer's code runs in a child of the producer's process, so a consumer on
 * another runtime ({@code java}, or a {@code python3.N} this node runs with another binary than
 * the producer's) could never run there. The interpreter is the one the node would start each
 * function with ({@link ForkedStepStarter#interpreter}); two paths to one binary are one
 * interpreter. forkd refuses a mismatched fork at fork time too (a function's code may change
 * after the flow was made).
 */
final class ForkEdgeRuntimes {
  private ForkEdgeRuntimes() {}

  static Future<Void> check(RunServices services, String appId, List<FlowStep> steps) {
    if (appId == null || steps == null || services.forks().unavailable().isPresent()) {
      return Future.succeededFuture(); // the flow's own checks refuse it
    }
    Map<String, FlowStep> byName = new HashMap<>();
    for (FlowStep s : steps) {
      if (s != null && s.name() != null) {
        byName.putIfAbsent(s.name(), s);
      }
    }
    List<Future<Void>> checks = new ArrayList<>();
    for (FlowStep consumer : steps) {
      if (consumer == null || consumer.edges() == null) {
        continue;
      }
      for (FlowEdge e : consumer.edges()) {
        FlowStep producer = e == null ? null : byName.get(e.step());
        if (producer != null && e.pass() == EdgePass.FORK) {
          checks.add(edge(services, appId, producer, consumer));
        }
      }
    }
    return Future.all(checks).mapEmpty();
  }

  private static Future<Void> edge(RunServices services, String appId, FlowStep producer, FlowStep consumer) {
    Optional<FnTarget> p = producer.fn() == null ? Optional.empty() : services.fns().apply(appId, producer.fn());
    Optional<FnTarget> c = consumer.fn() == null ? Optional.empty() : services.fns().apply(appId, consumer.fn());
    if (p.isEmpty() || c.isEmpty()) {
      return Future.succeededFuture();
    }
    String edge = "step " + consumer.name() + " takes a fork edge from " + producer.name();
    return interpreter(services, p.get(), edge).compose(pi -> interpreter(services, c.get(), edge).compose(ci -> {
      if (pi.isEmpty() || ci.isEmpty()) {
        return Future.succeededFuture(); // no code yet: forkd checks at fork time
      }
      return services.vertx().executeBlocking(() -> sameBinary(pi.get(), ci.get()), false).compose(same -> same
          ? Future.succeededFuture()
          : Future.failedFuture(new ApiError(400, edge + ", but their functions run on different runtimes ("
              + producer.name() + ": " + p.get().fn().name() + " on " + pi.get() + ", " + consumer.name() + ": "
              + c.get().fn().name() + " on " + ci.get() + "): fork edges need both functions on the same runtime")));
    }));
  }

  private static Future<Optional<String>> interpreter(RunServices services, FnTarget target, String edge) {
    return services.forks().interpreter(target.app(), target.fn()).recover(e -> Future.failedFuture(new ApiError(400,
        edge + ", but function " + target.fn().name() + " cannot run on this node, so its runtime cannot be matched: "
            + e.getMessage())));
  }

  private static boolean sameBinary(String a, String b) {
    if (a.equals(b)) {
      return true;
    }
    try {
      return Files.isSameFile(Path.of(a), Path.of(b));
    } catch (IOException e) {
      return false;
    }
  }
}
