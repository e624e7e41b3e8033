package io.cleave.forkd.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * forkd's answer once an instance is ready. {@code listener} is the host path of the instance's
 * unix socket ({@code null} for a seed, which serves no calls); {@code startMode} is
 * {@code cold}, {@code fork} or {@code remote-fork} (a seed reports {@code cold}); {@code startMs}
 * is the time forkd spent from receiving the request to seeing the instance ready; {@code remote}
 * is a prepared seed's snapshot (else {@code null}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StartedInstance(String instanceId, long pid, String listener, String startMode, double startMs,
    RemoteRef remote) {}
