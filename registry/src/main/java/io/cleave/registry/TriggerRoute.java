package io.cleave.registry;

import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Trigger;

/** What an HTTP trigger request resolves to. */
public record TriggerRoute(App app, Fn fn, Trigger trigger) {}
