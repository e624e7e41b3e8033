package io.cleave.server;

import io.cleave.flows.ForkedStepStarter;

import io.cleave.common.activation.ActivationLog;
import io.cleave.common.invoke.FnActivities;
import io.cleave.common.invoke.FunctionInvoker;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * The execution side of a node, as the gateway sees it: the invoker clients' calls go to (it may
 * forward a call to another member), the node's own invoker (for calls forwarded here), the
 * activations, the functions' activity for the console, and how flows run fork edges on this node ({@code forkedSteps}). {@code stop} is
 * called on shutdown, after the gateway stopped taking requests.
 */
public record Execution(FunctionInvoker invoker, FunctionInvoker localInvoker, ActivationLog activations,
    FnActivities activities, ForkedStepStarter forkedSteps, Supplier<Future<Void>> stop) {

  /** Starts a node's execution side on the platform's shared parts. */
  @FunctionalInterface
  public interface Factory {
    Future<Execution> start(Platform platform);
  }
}
