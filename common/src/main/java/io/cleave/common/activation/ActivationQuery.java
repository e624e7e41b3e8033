package io.cleave.common.activation;

import java.time.Instant;

/** Filter for listing activations, newest first; null fields do not filter. */
public record ActivationQuery(String fnId, Instant since, int limit) {}
