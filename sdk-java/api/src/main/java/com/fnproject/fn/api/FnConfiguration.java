package com.fnproject.fn.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of the function class the runtime runs once per instance, before the first call:
 * {@code public void configure(RuntimeContext ctx)} (or without parameter). Static when the
 * function method is static.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface FnConfiguration {
}
