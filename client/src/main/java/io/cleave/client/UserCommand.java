package io.cleave.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Base of the fn-style commands: runs {@link #execute()} and turns expected failures into
 * {@code cleave: <message>} on stderr with exit code 1, so users never see a stack trace. A
 * {@link UsageFailure} goes to picocli's usage-error handling instead (exit code 2).
 */
public abstract class UserCommand implements Callable<Integer> {

  @Spec protected CommandSpec spec;

  /** Does the work; returns the exit code. */
  protected abstract int execute() throws IOException;

  @Override
  public final Integer call() {
    try {
      return execute();
    } catch (UsageFailure e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    } catch (CliFailure e) {
      return fail(e.getMessage());
    } catch (IOException e) {
      return fail(describe(e));
    } catch (UncheckedIOException e) {
      return fail(describe(e.getCause()));
    } catch (RuntimeException e) {
      // A defect here, not the user's doing: still one line, naming what broke.
      return fail("unexpected error: " + e);
    }
  }

  private static int fail(String message) {
    System.out.flush();
    System.err.println("cleave: " + message);
    System.err.flush();
    return 1;
  }

  private static String describe(IOException e) {
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return detail;
  }
}
