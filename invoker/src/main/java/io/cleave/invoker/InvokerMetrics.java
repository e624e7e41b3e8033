package io.cleave.invoker;

import io.cleave.common.model.StartMode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/** The invoker's meters, named as docs/CONTRACTS.md lists them; meters are cached, so a call allocates none. */
final class InvokerMetrics {
  private record InvocationKey(String fnId, String status, String startMode) {}

  private final MeterRegistry registry;
  private final Map<InvocationKey, Counter> invocations = new ConcurrentHashMap<>();
  private final Map<StartMode, Timer> durations = new EnumMap<>(StartMode.class);
  private final Map<StartMode, Timer> starts = new EnumMap<>(StartMode.class);

  InvokerMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (StartMode m : StartMode.values()) {
      durations.put(m, timer("cleave.invocation.duration", "time from a call's arrival to its answer", m));
      starts.put(m, timer("cleave.instance.start.duration", "time to get a new instance ready", m));
    }
  }

  private Timer timer(String name, String description, StartMode mode) {
    return Timer.builder(name)
        .description(description)
        .tag("start_mode", mode.wireName())
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofSeconds(300))
        .register(registry);
  }

  void invocation(String fnId, String status, StartMode mode, long durationNanos) {
    String modeName = mode == null ? "none" : mode.wireName();
    invocations
        .computeIfAbsent(
            new InvocationKey(fnId, status, modeName),
            k ->
                Counter.builder("cleave.invocations")
                    .description("calls run by this node")
                    .tags("fn", k.fnId(), "status", k.status(), "start_mode", k.startMode())
                    .register(registry))
        .increment();
    if (mode != null) {
      durations.get(mode).record(durationNanos, TimeUnit.NANOSECONDS);
    }
  }

  void instanceStarted(StartMode mode, long nanos) {
    starts.get(mode).record(nanos, TimeUnit.NANOSECONDS);
  }

  void instancesGauge(String state, IntSupplier value) {
    Gauge.builder("cleave.instances", value::getAsInt)
        .description("instances on this node by state")
        .tag("state", state)
        .register(registry);
  }

  void seedsGauge(IntSupplier value) {
    Gauge.builder("cleave.seeds", value::getAsInt).description("seeds on this node").register(registry);
  }

  void memoryGauge(String kind, LongSupplier bytes) {
    Gauge.builder("cleave.instance.memory", () -> (double) bytes.getAsLong())
        .description("cgroup memory in use, summed")
        .baseUnit("bytes")
        .tag("kind", kind)
        .register(registry);
  }

  void queueDepthGauge(IntSupplier depth) {
    Gauge.builder("cleave.detached.queue.depth", depth::getAsInt)
        .description("detached calls stored and not yet finished")
        .register(registry);
  }
}
