package io.cleave.bench.replay;

/** A trace file that does not match the format it claims; the message names file and line. */
public final class TraceFormatException extends IllegalArgumentException {
  public TraceFormatException(String message) {
    super(message);
  }
}
