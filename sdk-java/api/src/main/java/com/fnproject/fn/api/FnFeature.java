package com.fnproject.fn.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Enables a {@link RuntimeFeature} on a function class; it is initialised before @FnConfiguration. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Repeatable(FnFeatures.class)
public @interface FnFeature {
  Class<? extends RuntimeFeature> value();
}
