package com.fnproject.fn.api;

/** A runtime extension a function class enables with {@link FnFeature}. */
public interface RuntimeFeature {
  void initialize(RuntimeContext context);
}
