package com.fnproject.fn.api;

import java.util.Optional;

/** Turns the function method's result into the call's answer, or declines. */
public interface OutputCoercion {
  Optional<OutputEvent> wrapFunctionResult(InvocationContext currentContext, MethodWrapper method, Object value);
}
