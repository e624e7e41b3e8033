package io.cleave.client;

/** The server did not answer within the request's read timeout. */
public final class NoAnswerInTime extends CliFailure {
  NoAnswerInTime(String message) {
    super(message);
  }
}
