package com.fnproject.fn.api;

import java.util.Optional;

/** Turns a call's input into the value of one parameter of the function method, or declines. */
public interface InputCoercion<T> {
  Optional<T> tryCoerceParam(InvocationContext currentContext, int arg, InputEvent input, MethodWrapper methodWrapper);
}
