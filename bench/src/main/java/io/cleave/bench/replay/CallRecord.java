package io.cleave.bench.replay;

/**
 * What happened to one scheduled call.
 *
 * @param scheduledMicros when the call was due, from the replay's start
 * @param sendLagMicros how late it actually left (0 for dropped calls)
 * @param function index of the trace function
 * @param minute trace minute label
 * @param latencyMs from sending to the complete answer; NaN if there was no answer
 * @param httpStatus the answer's status, 0 when there was none
 * @param outcome ok, error or dropped
 * @param startMode the platform's start mode for the call (warm, fork, cold, ...), "" when unknown
 * @param callId the platform's Fn-Call-Id, "" when there was none
 * @param error a short reason for errors, "" otherwise
 */
public record CallRecord(
    long scheduledMicros,
    long sendLagMicros,
    int function,
    int minute,
    double latencyMs,
    int httpStatus,
    Outcome outcome,
    String startMode,
    String callId,
    String error) {

  /** Ok: a 2xx answer. Error: any other answer or a transport failure. Dropped: over the in-flight bound, never sent. */
  public enum Outcome {
    OK, ERROR, DROPPED;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public CallRecord withStartMode(String mode) {
    return new CallRecord(scheduledMicros, sendLagMicros, function, minute, latencyMs, httpStatus, outcome, mode, callId, error);
  }
}
