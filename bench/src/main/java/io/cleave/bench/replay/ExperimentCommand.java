package io.cleave.bench.replay;

import io.cleave.client.CliFailure;
import io.cleave.client.UserCommand;
import io.vertx.core.VertxException;
import java.io.IOException;

/**
 * Base of {@code cleave replay} and the {@code cleave bench} experiments: what they refuse (a
 * trace that does not parse, a server that would not start, a call that failed) comes as an
 * {@link IllegalArgumentException}, {@link IllegalStateException} or Vert.x failure and is shown
 * as one line, exit code 1, like the other commands' failures.
 */
public abstract class ExperimentCommand extends UserCommand {
  /** Runs the experiment; returns the exit code. */
  protected abstract int run() throws IOException;

  @Override
  protected final int execute() throws IOException {
    try {
      return run();
    } catch (IllegalArgumentException | IllegalStateException | VertxException e) {
      throw new CliFailure(e.getMessage());
    }
  }
}
