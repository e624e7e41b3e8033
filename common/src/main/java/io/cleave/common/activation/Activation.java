package io.cleave.common.activation;

import io.cleave.common.model.StartMode;
import java.time.Instant;

/**
 * The record of one call. {@code id} equals the call's Fn-Call-Id. {@code status} is one of
 * success, error, timeout, oom, crashed, rejected. Times are in milliseconds: {@code waitMs} from
 * arrival to an instance being assigned, {@code initMs} the instance start cost (0 when warm).
 * {@code startNote}, when set, says why the call did not get a faster start (e.g. the seed is not
 * forkable). {@code node} ran the call; {@code seedNode}, for a remote fork, is the node whose seed
 * the instance was restored from (null otherwise).
 */
public record Activation(
    String id,
    String appId,
    String fnId,
    String node,
    StartMode startMode,
    String status,
    int httpStatus,
    Instant start,
    Instant end,
    long durationMs,
    long waitMs,
    long initMs,
    long responseSize,
    String error,
    String startNote,
    String seedNode) {}
