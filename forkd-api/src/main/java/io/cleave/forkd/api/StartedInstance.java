package io.cleave.forkd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cleave.common.model.StartMode;

/**
 * forkd's answer once an instance is ready. {@code listener} is the host path of the instance's
 * unix socket ({@code null} for a seed, which serves no calls); {@code startMode} is
 * {@link StartMode#COLD}, {@link StartMode#FORK} or {@link StartMode#REMOTE_FORK} (a seed reports
 * cold); {@code startMs} is the time forkd spent from receiving the request to seeing the instance
 * ready; {@code remote} is a prepared seed's snapshot (else {@code null}). An instance in a JVM
 * seed ({@link StartMode#COLD} for the seed's first, {@link StartMode#INSTANCE} for later ones)
 * names the seed as {@code seedId}, for later {@code instance} starts in it (else {@code null}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StartedInstance(String instanceId, long pid, String listener, StartMode startMode, double startMs,
    RemoteRef remote, String seedId) {}
