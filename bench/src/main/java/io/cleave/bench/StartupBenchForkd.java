package io.cleave.bench;

import io.cleave.bench.StartupBenchFigures.Metric;
import io.cleave.client.TimedCalls;
import io.cleave.forkd.api.ForkdClient;
import io.cleave.forkd.api.InstanceStatus;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Start costs without the gateway and the invoker: cold starts, a seed and forks ordered from
 * forkd directly through {@link ForkdClient}, memory per instance from forkd's status, and how many
 * instances per second one seed gives with 1..N fork orders outstanding.
 */
final class StartupBenchForkd {
  private static final long START_TIMEOUT_MS = 120_000;
  static final List<String> COMMAND = List.of("/usr/bin/python3", "-m", "fdk", "/function/func.py", "handler");

  /** What forkd needs to start one function's instances. */
  record Target(StartupBenchFunction function, String fnId, String appId, Path dataDir, Path bundleDir,
      Map<String, String> env) {}

  private final ForkdClient forkd;
  private final TimedCalls calls;
  private final StartupBenchProgress progress;
  /** Every instance this object started and has not deleted yet: removed on failure too. */
  private final List<String> live = Collections.synchronizedList(new ArrayList<>());

  StartupBenchForkd(ForkdClient forkd, TimedCalls calls, StartupBenchProgress progress) {
    this.forkd = forkd;
    this.calls = calls;
    this.progress = progress;
  }

  /** The environment the invoker gives instances: the fn's config, the SDK on PYTHONPATH, unbuffered output. */
  static Map<String, String> env(Map<String, String> config) {
    Map<String, String> env = new java.util.HashMap<>(config);
    env.put("PYTHONPATH", "/cleave/sdk-python"); // forkd binds its copy of the runtime there
    env.put("PYTHONUNBUFFERED", "1");
    return Map.copyOf(env);
  }

  /**
   * Measures one function: {@code starts} cold starts and forks (in groups of {@code group} live
   * side by side, each called once, their memory read before they are deleted), then fork rates.
   */
  void measure(Target t, int starts, int group, List<Integer> concurrency, int forksPerLevel, StartupBenchFigures into) {
    String label = t.function().label();
    try {
      progress.phase("forkd: %s cold starts (%d, groups of %d)", label, starts, group);
      startGroups(t, starts, group, into, null);
      progress.phase("forkd: %s seed", label);
      StartedInstance seed = start(StartRequest.seed(t.fnId(), t.appId(), t.bundleDir().toString(), t.function().memoryMb(),
          COMMAND, t.env()));
      into.add(Metric.FORKD_SEED, seed.startMs());
      progress.phase("forkd: %s fork orders straight to the seed (%d)", label, starts);
      StartupBenchForkPath.measure(t.dataDir(), seed.instanceId(), seed.pid(), starts, into);
      progress.phase("forkd: %s forks (%d, groups of %d)", label, starts, group);
      startGroups(t, starts, group, into, seed.instanceId());
      long forkdPid = StartupBenchProcs.forkdPid(t.dataDir());
      for (int c : concurrency) {
        rate(t, seed, forkdPid, c, Math.max(forksPerLevel, c), into);
      }
      delete(List.of(seed.instanceId()));
    } finally {
      delete(new ArrayList<>(live));
    }
  }

  /**
   * Forks of a seed of this function, made and deleted in groups and not measured: a forkd that has
   * made few forks runs its fork path in the JVM's interpreter, and a platform that serves traffic
   * does not.
   */
  void warmUp(Target t, int forks) {
    progress.phase("forkd: warming up the fork path (%d %s forks, not measured)", forks, t.function().label());
    try {
      StartedInstance seed = start(StartRequest.seed(t.fnId(), t.appId(), t.bundleDir().toString(), t.function().memoryMb(),
          COMMAND, t.env()));
      for (int done = 0; done < forks; ) {
        List<String> group = new ArrayList<>();
        for (int i = 0; i < 16 && done < forks; i++, done++) {
          group.add(start(fork(t, seed.instanceId())).instanceId());
        }
        delete(group);
      }
      delete(List.of(seed.instanceId()));
    } finally {
      delete(new ArrayList<>(live));
    }
  }

  /** Cold starts ({@code seedId} null) or forks, {@code group} alive at a time. */
  private void startGroups(Target t, int starts, int group, StartupBenchFigures into, String seedId) {
    boolean fork = seedId != null;
    String step = t.function().label() + (fork ? " forks" : " cold starts");
    int done = 0;
    while (done < starts) {
      int n = Math.min(group, starts - done);
      List<StartedInstance> alive = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        StartedInstance s = start(fork ? fork(t, seedId) : StartRequest.cold(t.fnId(), t.appId(), t.bundleDir().toString(),
            t.function().memoryMb(), COMMAND, t.env()));
        double rpc = (System.nanoTime() - t0) / 1e6;
        into.add(fork ? Metric.FORKD_FORK : Metric.FORKD_COLD, s.startMs());
        into.add(fork ? Metric.FORKD_FORK_RPC : Metric.FORKD_COLD_RPC, rpc);
        alive.add(s);
        TimedCalls.Answer first = Await.result(calls.direct(Path.of(s.listener()), t.function().body()), 60_000,
            "the first call of " + s.instanceId());
        if (!first.ok()) {
          throw new IllegalStateException("the " + t.function().label() + " instance " + s.instanceId() + " answered "
              + first.status() + " to its first call: " + first.body());
        }
        into.add(fork ? Metric.FIRST_CALL_FORK : Metric.FIRST_CALL_COLD, first.latencyMs());
        progress.count(step, done + i + 1, starts);
      }
      // Memory is compared at equal company: a full group of the same kind alive side by side.
      if (n == group) {
        for (StartedInstance s : alive) {
          InstanceStatus st = Await.result(forkd.status(s.instanceId()), 30_000, "the status of " + s.instanceId());
          into.memory(new StartupBenchFigures.Memory(fork ? StartupBenchFigures.FORK_CHILD : StartupBenchFigures.COLD_INSTANCE,
              n, st.pssBytes(), st.memoryBytes()));
        }
        if (fork) {
          InstanceStatus st = Await.result(forkd.status(seedId), 30_000, "the status of " + seedId);
          into.memory(new StartupBenchFigures.Memory(StartupBenchFigures.SEED, n, st.pssBytes(), st.memoryBytes()));
        }
      }
      delete(alive.stream().map(StartedInstance::instanceId).toList());
      done += n;
    }
  }

  private static StartRequest fork(Target t, String seedId) {
    return StartRequest.fork(seedId, t.fnId(), t.appId(), t.function().memoryMb(), t.env());
  }

  /**
   * {@code forks} forks of one seed with {@code concurrency} orders outstanding at all times, and
   * the CPU time they cost forkd, the seed, the children (read just before they are deleted) and
   * this client.
   */
  private void rate(Target t, StartedInstance seed, long forkdPid, int concurrency, int forks, StartupBenchFigures into) {
    progress.phase("forkd: %s fork rate, %d forks, %d at a time", t.function().label(), forks, concurrency);
    List<Double> startMs = Collections.synchronizedList(new ArrayList<>());
    List<StartedInstance> children = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger issued = new AtomicInteger();
    Promise<Void> all = Promise.promise();
    AtomicInteger chains = new AtomicInteger(concurrency);
    long self = ProcessHandle.current().pid();
    long forkdCpu0 = forkdPid > 0 ? StartupBenchProcs.cpuNanos(forkdPid) : 0;
    Map<String, Long> forkdThreads0 = forkdPid > 0 ? StartupBenchProcs.cpuNanosByThread(forkdPid) : Map.of();
    long seedCpu0 = StartupBenchProcs.cpuNanos(seed.pid());
    long selfCpu0 = StartupBenchProcs.cpuNanos(self);
    long t0 = System.nanoTime();
    long[] end = new long[1];
    for (int c = 0; c < concurrency; c++) {
      chain(t, seed.instanceId(), forks, issued, startMs, children).onComplete(ar -> {
        if (ar.failed()) {
          all.tryFail(ar.cause());
        } else if (chains.decrementAndGet() == 0) {
          end[0] = System.nanoTime();
          all.tryComplete();
        }
      });
    }
    Map<String, Double> cpu = new LinkedHashMap<>();
    try {
      Await.result(all.future(), START_TIMEOUT_MS + forks * 1000L, forks + " forks");
      cpu.put("forkd", forkdPid > 0 ? (StartupBenchProcs.cpuNanos(forkdPid) - forkdCpu0) / 1e6 / forks : Double.NaN);
      cpu.put("seed", (StartupBenchProcs.cpuNanos(seed.pid()) - seedCpu0) / 1e6 / forks);
      cpu.put("child", children.stream().mapToLong(s -> StartupBenchProcs.cpuNanos(s.pid())).sum() / 1e6 / forks);
      cpu.put("client", (StartupBenchProcs.cpuNanos(self) - selfCpu0) / 1e6 / forks);
      // forkd's share by thread group (order workers, slot refill, exit events, JIT, GC, ...), the larger ones.
      if (forkdPid > 0) {
        StartupBenchProcs.cpuNanosByThread(forkdPid).forEach((group, ns) -> {
          double ms = (ns - forkdThreads0.getOrDefault(group, 0L)) / 1e6 / forks;
          if (ms >= 0.05) {
            cpu.put("forkd:" + group, ms);
          }
        });
      }
    } finally {
      delete(children.stream().map(StartedInstance::instanceId).toList());
    }
    into.rate(new StartupBenchFigures.Rate(concurrency, forks, (end[0] - t0) / 1e9, List.copyOf(startMs), cpu));
  }

  private Future<Void> chain(Target t, String seedId, int forks, AtomicInteger issued, List<Double> startMs,
      List<StartedInstance> children) {
    if (issued.getAndIncrement() >= forks) {
      return Future.succeededFuture();
    }
    return forkd.start(fork(t, seedId)).compose(s -> {
      live.add(s.instanceId());
      children.add(s);
      startMs.add(s.startMs());
      return chain(t, seedId, forks, issued, startMs, children);
    });
  }

  private StartedInstance start(StartRequest r) {
    StartedInstance s = Await.result(forkd.start(r), START_TIMEOUT_MS, "forkd starting a " + r.mode().wireName() + " instance");
    live.add(s.instanceId());
    return s;
  }

  /** Deletes instances (all at once) and waits; an instance already gone is not an error here. */
  private void delete(List<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    List<Future<Void>> deletes = ids.stream().map(id -> forkd.delete(id).otherwiseEmpty()).toList();
    Await.result(Future.join(deletes).<Void>mapEmpty().otherwiseEmpty(), 60_000, "deleting instances");
    live.removeAll(ids);
  }
}
