package com.fnproject.fn.api;

/** A parameter or return type of the function method, with generics resolved to a class. */
public interface TypeWrapper {
  Class<?> getParameterClass();
}
