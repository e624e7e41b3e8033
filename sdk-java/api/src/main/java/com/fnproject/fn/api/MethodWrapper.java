package com.fnproject.fn.api;

import java.lang.reflect.Method;

/** The function method the runtime calls, with the class it was resolved on. */
public interface MethodWrapper {
  Class<?> getTargetClass();

  Method getTargetMethod();

  TypeWrapper getParamType(int index);

  TypeWrapper getReturnType();

  default String getLongName() {
    return getTargetClass().getCanonicalName() + "::" + getTargetMethod().getName();
  }

  default int getParameterCount() {
    return getTargetMethod().getParameterCount();
  }
}
