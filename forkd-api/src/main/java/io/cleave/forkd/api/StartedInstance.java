package io.cleave.forkd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cleave.common.model.StartMode;

/**
 * forkd's answer once an instance is ready. {@code listener} is the host path of the instance's
 * unix socket ({@code null} for a seed, which serves no calls); {@code startMode} is
 * {@link StartMode#COLD} or {@link StartMode#FORK} (a seed reports cold); {@code startMs} is the
 * time forkd spent from receiving the request to seeing the instance ready.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StartedInstance(String instanceId, long pid, String listener, StartMode startMode, double startMs) {}
