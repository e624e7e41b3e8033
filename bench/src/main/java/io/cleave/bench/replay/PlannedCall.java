package io.cleave.bench.replay;

/**
 * One call of a schedule.
 *
 * @param atMicros send time in microseconds from the replay's start
 * @param function index into the replayed trace's functions
 * @param minute label of the trace minute the call belongs to
 * @param durationMs how long the trace function runs
 * @param memoryMb how much memory the trace function touches
 */
public record PlannedCall(long atMicros, int function, int minute, long durationMs, int memoryMb) {}
