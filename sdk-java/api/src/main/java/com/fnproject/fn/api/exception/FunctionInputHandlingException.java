package com.fnproject.fn.api.exception;

/** Raised by the runtime or a function's coercions; the call answers 502 and the log gets the cause. */
public class FunctionInputHandlingException extends RuntimeException {
  public FunctionInputHandlingException(String message) {
    super(message);
  }

  public FunctionInputHandlingException(String message, Throwable cause) {
    super(message, cause);
  }
}
