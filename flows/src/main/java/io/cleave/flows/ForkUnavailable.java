package io.cleave.flows;

import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * The {@link ForkedStepStarter} of a node without fork state passing: flows with fork edges are
 * refused at create time, so the engine never calls the rest (answered 501 should a stored flow
 * from a node that had it be run here).
 */
public final class ForkUnavailable implements ForkedStepStarter {
  static final String WHAT = "fork state passing (a consumer forked from its producer's kept instance, fdk.state)";

  @Override
  public Optional<String> unavailable() {
    return Optional.of(WHAT);
  }

  @Override
  public Future<KeptCall> callKept(Call call) {
    return Future.failedFuture(refused());
  }

  @Override
  public Future<CallResult> callForked(Call call, KeptInstance from) {
    return Future.failedFuture(refused());
  }

  @Override
  public void release(KeptInstance kept) {
    // nothing is ever kept here
  }

  private static ApiError refused() {
    return new ApiError(501, "fork edges need " + WHAT + ", which is not available on this node yet");
  }
}
