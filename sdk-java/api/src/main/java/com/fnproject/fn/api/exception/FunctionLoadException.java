package com.fnproject.fn.api.exception;

/** Raised by the runtime or a function's coercions; the call answers 502 and the log gets the cause. */
public class FunctionLoadException extends RuntimeException {
  public FunctionLoadException(String message) {
    super(message);
  }

  public FunctionLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
