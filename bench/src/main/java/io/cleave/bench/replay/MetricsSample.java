package io.cleave.bench.replay;

import java.util.List;

/**
 * The platform's state at one moment, read from {@code /metrics}: of one node, or summed over a
 * cluster's nodes.
 *
 * @param elapsedMs time since the replay started
 * @param starting instances being started ({@code cleave_instances{state="starting"}})
 * @param idle instances kept warm without a call
 * @param busy instances serving a call
 * @param seeds seeds held ({@code cleave_seeds})
 * @param instanceMemoryBytes cgroup memory of instances ({@code cleave_instance_memory_bytes{kind="instance"}})
 * @param seedMemoryBytes cgroup memory of seeds ({@code kind="seed"})
 */
public record MetricsSample(
    long elapsedMs, double starting, double idle, double busy, double seeds, double instanceMemoryBytes, double seedMemoryBytes) {

  public double instances() {
    return starting + idle + busy;
  }

  /** Memory the platform holds for the function: instances plus seeds. */
  public double memoryBytes() {
    return instanceMemoryBytes + seedMemoryBytes;
  }

  /**
   * The nodes' samples of one poll as one: every gauge summed, so a cluster's memory at a moment is
   * what all its nodes hold then (the peak of these sums, not the sum of each node's peak).
   */
  static MetricsSample sum(long elapsedMs, List<MetricsSample> nodes) {
    return new MetricsSample(elapsedMs,
        nodes.stream().mapToDouble(MetricsSample::starting).sum(),
        nodes.stream().mapToDouble(MetricsSample::idle).sum(),
        nodes.stream().mapToDouble(MetricsSample::busy).sum(),
        nodes.stream().mapToDouble(MetricsSample::seeds).sum(),
        nodes.stream().mapToDouble(MetricsSample::instanceMemoryBytes).sum(),
        nodes.stream().mapToDouble(MetricsSample::seedMemoryBytes).sum());
  }

  static MetricsSample of(long elapsedMs, PrometheusText m) {
    return new MetricsSample(elapsedMs,
        m.sum("cleave_instances", "state", "starting"),
        m.sum("cleave_instances", "state", "idle"),
        m.sum("cleave_instances", "state", "busy"),
        m.sum("cleave_seeds", null, null),
        m.sum("cleave_instance_memory_bytes", "kind", "instance"),
        m.sum("cleave_instance_memory_bytes", "kind", "seed"));
  }
}
