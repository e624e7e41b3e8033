package io.cleave.bench.replay;

/** A trace function and the platform function that plays it. */
public record DeployedFunction(TraceFunction trace, String fnId, String name, Workload workload, int memoryMb) {}
