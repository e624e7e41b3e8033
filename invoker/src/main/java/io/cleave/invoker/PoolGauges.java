package io.cleave.invoker;

import io.cleave.common.invoke.NodeLoad;

import io.cleave.common.model.StartMode;
import io.cleave.forkd.api.InstanceStatus;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pools' gauges (docs/CONTRACTS.md, Metrics): instances by state and seeds, counted on the
 * loop; cgroup memory of instances and seeds, sampled from the host. Values are published through
 * volatile fields, since the metrics endpoint reads them from other threads.
 */
final class PoolGauges {
  private final InstanceHost host;
  private volatile int starting;
  private volatile int idle;
  private volatile int parked;
  private volatile int busy;
  private volatile int seeds;
  private volatile long instanceMemoryBytes;
  private volatile long seedMemoryBytes;
  /** Children started here so far, by the node whose seed they came from (this one for local forks). */
  private final Map<String, Long> forksFrom = new ConcurrentHashMap<>();

  PoolGauges(InvokerMetrics metrics, InstanceHost host) {
    this.host = host;
    metrics.instancesGauge("starting", () -> starting);
    metrics.instancesGauge("idle", () -> idle);
    metrics.instancesGauge("parked", () -> parked);
    metrics.instancesGauge("busy", () -> busy);
    metrics.seedsGauge(() -> seeds);
    metrics.memoryGauge("instance", () -> instanceMemoryBytes);
    metrics.memoryGauge("seed", () -> seedMemoryBytes);
  }

  void count(Collection<FunctionPool> pools) {
    int starting = 0;
    int idle = 0;
    int parked = 0;
    int busy = 0;
    int seeds = 0;
    for (FunctionPool p : pools) {
      for (Instance i : p.instances) {
        if (i.state == Instance.State.STARTING) {
          starting++;
        } else if (i.state == Instance.State.READY && i.parked) {
          parked++;
        } else if (i.state == Instance.State.READY && i.active == 0) {
          idle++;
        } else if (i.active > 0) {
          busy++;
        }
      }
      if (p.seed != null && p.seed.state == Seed.State.READY) {
        seeds++;
      }
    }
    this.starting = starting;
    this.idle = idle;
    this.parked = parked;
    this.busy = busy;
    this.seeds = seeds;
  }

  /** An instance is ready: a child of a seed (here or on {@code seedNode}) counts as a fork from that seed's node. */
  void started(Instance inst, String node) {
    if (inst.origin == StartMode.FORK) {
      forksFrom.merge(node, 1L, Long::sum);
    } else if (inst.origin == StartMode.REMOTE_FORK && inst.seedNode != null) {
      forksFrom.merge(inst.seedNode, 1L, Long::sum);
    }
  }

  /** This node's load as last counted (every second): memory from {@code memory}, instances by state. */
  NodeLoad load(String node, NodeMemory memory) {
    return new NodeLoad(node, memory.capacityMb(), memory.usedMb(), starting, idle + parked, busy, seeds,
        new TreeMap<>(forksFrom));
  }

  /** Asks the host for the cgroup usage of every running instance and seed; a failed answer counts 0. */
  void sampleMemory(Collection<FunctionPool> pools) {
    List<Future<Long>> instances = new ArrayList<>();
    List<Future<Long>> seeds = new ArrayList<>();
    for (FunctionPool p : pools) {
      for (Instance i : p.instances) {
        if (i.id != null && !i.destroyed) {
          instances.add(host.status(i.id).map(InstanceStatus::memoryBytes).otherwise(0L));
        }
      }
      if (p.seed != null && p.seed.id != null) {
        seeds.add(host.status(p.seed.id).map(InstanceStatus::memoryBytes).otherwise(0L));
      }
    }
    Future.all(instances).onComplete(v -> instanceMemoryBytes = sum(instances));
    Future.all(seeds).onComplete(v -> seedMemoryBytes = sum(seeds));
  }

  private static long sum(List<Future<Long>> parts) {
    long total = 0;
    for (Future<Long> f : parts) {
      total += f.succeeded() ? f.result() : 0;
    }
    return total;
  }
}
