package io.cleave.client;


/**
 * The command line itself is wrong (a value out of range, a malformed KEY=VALUE, an unknown
 * runtime): reported like picocli's own parse errors, exit code 2, before any request is sent.
 */
public final class UsageFailure extends CliFailure {
  public UsageFailure(String message) {
    super(message);
  }
}
