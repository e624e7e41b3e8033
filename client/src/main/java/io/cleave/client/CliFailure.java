package io.cleave.client;

/** A failure the user should read as one line on stderr (no stack trace); the command exits 1. */
public class CliFailure extends RuntimeException {
  public CliFailure(String message) {
    super(message, null, false, false);
  }
}
