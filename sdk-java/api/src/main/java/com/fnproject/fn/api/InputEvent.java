package com.fnproject.fn.api;

import java.io.Closeable;
import java.io.InputStream;
import java.time.Instant;
import java.util.function.Function;

/** One call's input: its body (readable once), headers, id and deadline. */
public interface InputEvent extends Closeable {
  /** Hands the body to dest; a second consumption fails with IllegalStateException. */
  <T> T consumeBody(Function<InputStream, T> dest);

  String getCallID();

  Instant getDeadline();

  Headers getHeaders();
}
