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

/**
 * The invoker's meters, named as docs/CONTRACTS.md lists them. Meters are registered when first used
 * and cached; the per-mode maps are touched only on the invoker's loop.
 */
final class InvokerMetrics {
  private record InvocationKey(String fnId, String status, String startMode) {}

  private final MeterRegistry registry;
  private final Map<InvocationKey, Counter> invocations = new ConcurrentHashMap<>();
  private final Map<StartMode, Timer> durations = new EnumMap<>(StartMode.class);
  private final Map<StartMode, Timer> starts = new EnumMap<>(StartMode.class);

  InvokerMetrics(MeterRegistry registry) {
    this.registry = registry;
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
      durations
          .computeIfAbsent(mode, m -> timer("cleave.invocation.duration", "time from a call's arrival to its answer", m))
          .record(durationNanos, TimeUnit.NANOSECONDS);
    }
  }

  void instanceStarted(StartMode mode, long nanos) {
    starts
        .computeIfAbsent(mode, m -> timer("cleave.instance.start.duration", "time to get a new instance ready", m))
        .record(nanos, TimeUnit.NANOSECONDS);
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

  /** A counter fed from outside the call path (see {@link RemoteForkCounters}); {@code baseUnit} may be null. */
  Counter counter(String name, String description, String baseUnit, String... tags) {
    return Counter.builder(name).description(description).baseUnit(baseUnit).tags(tags).register(registry);
  }

  void queueDepthGauge(IntSupplier depth) {
    Gauge.builder("cleave.detached.queue.depth", depth::getAsInt)
        .description("detached calls stored and not yet finished")
        .register(registry);
  }
}
