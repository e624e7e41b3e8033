package io.cleave.client;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * How every usage error is shown, picocli's parse errors and {@link UsageFailure} alike: one
 * {@code cleave: <message>} line and where to read more, exit code 2. A missing subcommand shows
 * the command's usage instead, since the list of subcommands is the answer.
 */
public final class UsageErrors implements IParameterExceptionHandler {
  public static final int EXIT_CODE = 2;

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("cleave: " + ex.getMessage());
    UnmatchedArgumentException.printSuggestions(ex, err);
    if (ex.getMessage() != null && ex.getMessage().startsWith("Missing required subcommand")) {
      cmd.usage(err);
    } else {
      err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
    }
    err.flush();
    return EXIT_CODE;
  }
}
