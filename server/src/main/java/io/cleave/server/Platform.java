package io.cleave.server;

import io.cleave.common.config.ServerConfig;
import io.cleave.registry.bundle.BundleStore;
import io.cleave.registry.Registry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;

/** The shared parts of one server process, handed to the execution side when it starts. */
public record Platform(Vertx vertx, ServerConfig config, Registry registry, BundleStore bundles,
    PrometheusMeterRegistry metrics) {}
