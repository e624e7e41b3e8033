package io.cleave.registry;

import io.cleave.common.model.App;
import io.cleave.common.model.Fn;

/** A function together with its app, as the invoke route needs them. */
public record FnTarget(App app, Fn fn) {}
