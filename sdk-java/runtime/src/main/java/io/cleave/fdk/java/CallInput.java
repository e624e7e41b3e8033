package io.cleave.fdk.java;

import com.fnproject.fn.api.Headers;
import com.fnproject.fn.api.InputEvent;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Instant;
import java.util.function.Function;

/** A call's input as Fn's InputEvent: the body can be consumed once, as in fdk-java. */
final class CallInput implements InputEvent {
  private final byte[] body;
  private final Headers headers;
  private final String callId;
  private final Instant deadline;
  private boolean consumed;

  CallInput(byte[] body, Headers headers, String callId, Instant deadline) {
    this.body = body;
    this.headers = headers;
    this.callId = callId;
    this.deadline = deadline;
  }

  @Override
  public synchronized <T> T consumeBody(Function<InputStream, T> dest) {
    if (consumed) {
      throw new IllegalStateException("the input body was already consumed");
    }
    consumed = true;
    return dest.apply(new ByteArrayInputStream(body));
  }

  @Override
  public String getCallID() {
    return callId;
  }

  @Override
  public Instant getDeadline() {
    return deadline;
  }

  @Override
  public Headers getHeaders() {
    return headers;
  }

  @Override
  public void close() {
    consumed = true;
  }
}
