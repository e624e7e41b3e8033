package com.fnproject.fn.api;

import java.util.Optional;

/**
 * Handles a call instead of the default invoker. PreCall invokers run first; the first invoker
 * that answers (a present result) ends the call.
 */
public interface FunctionInvoker {
  enum Phase {
    PreCall,
    Call
  }

  Optional<OutputEvent> tryInvoke(InvocationContext ctx, InputEvent evt);
}
