package io.cleave.cli.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/**
 * Base of the fn-style commands: runs {@link #execute()} and turns expected failures into
 * {@code cleave: <message>} on stderr with exit code 1, so users never see a stack trace.
 */
public abstract class UserCommand implements Callable<Integer> {

  /** Does the work; returns the exit code. */
  protected abstract int execute() throws IOException;

  @Override
  public final Integer call() {
    try {
      return execute();
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
    String detail = e.getMessage();
    return detail == null ? e.getClass().getSimpleName() : detail;
  }
}
