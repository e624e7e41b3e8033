package com.fnproject.fn.api.exception;

/** Raised by the runtime or a function's coercions; the call answers 502 and the log gets the cause. */
public class FunctionConfigurationException extends FunctionLoadException {
  public FunctionConfigurationException(String message) {
    super(message);
  }

  public FunctionConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
