package io.cleave.fdk.java;

/** Why an instance could not start (bad cmd, missing class, constructor or @FnConfiguration threw). */
final class StartFailure extends Exception {
  private static final long serialVersionUID = 1L;

  StartFailure(String message) {
    super(message);
  }

  StartFailure(String message, Throwable cause) {
    super(message + ": " + cause, cause);
  }
}
