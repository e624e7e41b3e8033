package com.fnproject.fn.api.exception;

/** Raised by the runtime or a function's coercions; the call answers 502 and the log gets the cause. */
public class FunctionOutputHandlingException extends RuntimeException {
  public FunctionOutputHandlingException(String message) {
    super(message);
  }

  public FunctionOutputHandlingException(String message, Throwable cause) {
    super(message, cause);
  }
}
