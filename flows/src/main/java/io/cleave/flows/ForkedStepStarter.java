package io.cleave.flows;

import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Optional;

/**
 * The port through which the engine runs the two ends of {@code fork} edges. A producer with a
 * fork edge out is called through {@link #callKept}: its instance stays after it returns, with the
 * objects the function kept ({@code fdk.state.keep(name, obj)}). Each call of a consumer on a fork
 * edge goes through {@link #callForked}: it runs in a child forked from that instance (a map's
 * calls share at most its parallelism of children, one call at a time each) and reads
 * those objects ({@code fdk.state.get(name)}); producers it takes by copy are in the call's body as
 * for any step. A consumer of several fork producers forks from one; the others' results are
 * copied once into that instance for it ({@link CopiedResults}), so its children hold them as
 * the kept objects, and no call carries them. The engine releases a kept instance once every consumer forked from it succeeded,
 * or the run ended. Kept instances do not outlive the server: after a restart, the engine runs a
 * fork producer again before the consumers still to run.
 *
 * <p>Futures fail with {@link io.cleave.common.error.ApiError} as {@link
 * io.cleave.common.invoke.FunctionInvoker}'s do; the engine retries such failures as any step's.
 */
public interface ForkedStepStarter {

  /**
   * Why fork edges cannot run on this node (the words complete "fork edges need ..."), empty when
   * they can. Flows with fork edges are refused at create time while it is present.
   */
  Optional<String> unavailable();

  /**
   * The interpreter this node runs {@code fn} with (a fork child runs its consumer in the kept
   * producer's interpreter, so both ends of a fork edge need the same one): empty when the
   * function has no code yet; fails with an {@link io.cleave.common.error.ApiError} saying why
   * when the node cannot run it (a runtime it lacks, a bad func.yaml).
   */
  Future<Optional<String>> interpreter(App app, Fn fn);

  /**
   * Runs a producer's call and keeps its instance for forking. The moment it answered, children
   * for the consumers in {@code ahead} are forked from it (each loading its consumer's function)
   * while the engine stores the result, so a consumer's call finds its child ready.
   */
  Future<KeptCall> callKept(Call call, List<ConsumerAhead> ahead);

  /**
   * Runs a consumer's call in a child of {@code from} that holds {@code copied} (null for none): one of that consumer's children idle after
   * an earlier call (its globals and whatever earlier calls did to the kept objects are still
   * there, as in any warm instance), else one forked ahead, else one forked now; and keeps up to
   * {@code moreAfter} children of that consumer ready for the calls still to come (within the
   * count {@link #callKept} was given). The child stays for the consumer's next call until {@code
   * from} is released.
   */
  Future<CallResult> callForked(Call call, KeptInstance from, int moreAfter, CopiedResults copied);

  /**
   * Forks up to {@code count} children of the consumer from {@code from} ahead of its calls, once
   * {@code copied} (null for none) is in that instance: for a consumer of several fork producers,
   * whose instance to fork from is known only once all of them answered.
   */
  void forkAhead(KeptInstance from, App app, Fn fn, int count, CopiedResults copied);

  /** Lets a kept instance go; no later {@link #callForked} names it. */
  void release(KeptInstance kept);

  /**
   * An instance kept after a producer's call: its id and node as the starter knows them, and the
   * bytes of state the function kept (the engine forks a consumer of several producers from the largest).
   */
  record KeptInstance(String id, String node, long keptBytes) {}

  /**
   * A consumer that will fork from the kept instance: at most {@code count} of its children are
   * kept forked ahead of its calls (1 for a step, its parallelism for a map).
   */
  record ConsumerAhead(App app, Fn fn, int count) {}

  /**
   * The results of a consumer's other fork producers, {@code steps}, as one JSON object by step
   * name ({@code body}): copied once into the kept instance its children are forked from, before
   * the first of them (docs/CONTRACTS.md), where they read them with {@code fdk.state.get(step)}.
   * Children hold the copy they were forked with: calls naming other steps get other children.
   */
  record CopiedResults(List<String> steps, Buffer body) {}

  /** A producer's answer and the instance kept from it. */
  record KeptCall(CallResult result, KeptInstance kept) {}
}
