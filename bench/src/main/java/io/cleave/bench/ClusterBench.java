package io.cleave.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.bench.ClusterBenchCalls.Kind;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.TimedCalls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

/**
 * The cluster part of the cluster benchmark, against running nodes (node 1 first): per function,
 * deploy it, call it once on node 1 (a cold start that makes the cluster's one seed there), then
 * rounds of bursts once every instance idled out: on node 1 each call is a local fork of the seed,
 * on every other node in turn, {@link #NODE_SETTLE_MS} after the previous one answered, a child
 * restored from it over the network (remote fork); then warm calls on
 * the other nodes, and the rate test (bursts on all the other nodes at once). The function is
 * deleted before the next one is deployed, so the seeds the nodes report meanwhile are its own.
 * Blocks the calling thread, which must not be a Vert.x event loop.
 */
public final class ClusterBench {
  static final long CALL_WAIT_MS = 120_000;
  /** Instances go one second after their last call (Fn's minimum), so a burst after that finds none. */
  static final int IDLE_TIMEOUT_S = 1;
  private static final long IDLE_WAIT_MS = 60_000;
  /**
   * A node recounts its gauges every second: a count of 0 instances is trusted only when taken at
   * least idle_timeout + one recount (and a margin) after the last answer; before that it may be
   * the count from before the calls.
   */
  private static final long QUIET_MS = IDLE_TIMEOUT_S * 1000L + 1000 + 200;
  /**
   * In a round, the next node's call waits this long after the previous node answered: the nodes
   * share this machine's cores, and what a node does after a call (forking or restoring its next
   * child ahead, learning the call's pages) would otherwise run beside the next node's timed call,
   * which on separate machines it never does.
   */
  static final long NODE_SETTLE_MS = 300;
  /**
   * A rate call holds its instance this long before answering: longer than a burst takes to place
   * its calls, so none is served by another call's instance freed early, and the rate counts every
   * child the burst needed (the hold is taken off each answer, see {@link ClusterBenchCalls.Rate#of}).
   */
  static final int RATE_HOLD_MS = 1000;
  /** Before a rate round, how long the nodes' CPU use is read while nothing runs (their idle pace). */
  private static final long IDLE_PACE_MS = 500;

  private final Vertx vertx;
  private final ClusterBenchSettings settings;
  private final List<String> urls;
  private final String adminKey;
  private final List<String> names;
  private final ClusterBenchCalls calls;
  private final long originNanos;
  private final StartupBenchProgress progress;
  private List<ClusterBenchNodes.Sample> samples = List.of();
  private final Map<String, Integer> seedsPerFunction = new LinkedHashMap<>();
  private final Map<String, Long> partialSamples = new LinkedHashMap<>();
  private ClusterBenchNodes.RemotePages remotePages = new ClusterBenchNodes.RemotePages(0, 0);
  private final ClusterBenchCpu cpu;
  private final Map<String, ClusterBenchJit.Warmup> jitWarmups = new LinkedHashMap<>();

  /**
   * {@code urls} and {@code names}: the nodes' API URLs and names, node 1 (the seeds' node) first;
   * {@code adminKey} one they all accept; {@code serverPids} the nodes' server processes on this
   * machine (empty when not known: no JIT warm-up until settled, no CPU per remote fork).
   */
  public ClusterBench(Vertx vertx, ClusterBenchSettings settings, List<String> urls, String adminKey, List<String> names,
      List<Long> serverPids, ClusterBenchCalls calls, long originNanos, StartupBenchProgress progress) {
    if (urls.size() != settings.nodes() || names.size() != urls.size()) {
      throw new IllegalArgumentException("expected " + settings.nodes() + " nodes, got " + urls + " " + names);
    }
    this.vertx = vertx;
    this.settings = settings;
    this.urls = List.copyOf(urls);
    this.adminKey = adminKey;
    this.names = List.copyOf(names);
    this.calls = calls;
    this.originNanos = originNanos;
    this.progress = progress;
    this.cpu = new ClusterBenchCpu(serverPids);
  }

  public void run() throws IOException {
    List<TimedCalls> gateways = new ArrayList<>();
    int connections = Math.max(settings.burst(), settings.rateBurst());
    try (ClusterBenchNodes nodes = new ClusterBenchNodes(urls, adminKey, originNanos)) {
      for (String url : urls) {
        gateways.add(new TimedCalls(vertx, URI.create(url), connections, adminKey));
      }
      nodes.startSampling();
      PlatformClient api = new PlatformClient(urls.get(0), adminKey);
      String appId = JsonText.text(api.createApp(JsonText.object().put("name", "bench-cluster")), "id");
      for (StartupBenchFunction f : StartupBenchFunction.values()) {
        new FunctionRun(f, appId, api, gateways, nodes).run();
      }
      remotePages = nodes.remotePages(java.util.stream.IntStream.range(1, urls.size()).boxed().toList());
      nodes.close();
      samples = nodes.samples();
      for (StartupBenchFunction f : StartupBenchFunction.values()) {
        seedsPerFunction.put(f.label(), nodes.mostSeeds(f.label()));
        partialSamples.put(f.label(), nodes.partialSamples(f.label()));
      }
    } finally {
      gateways.forEach(TimedCalls::close);
    }
  }

  /** The pages the restoring nodes' remote children got over the whole run. */
  ClusterBenchNodes.RemotePages remotePages() {
    return remotePages;
  }

  /** Every sample of the nodes' gauges taken during the run. */
  List<ClusterBenchNodes.Sample> samples() {
    return samples;
  }

  /** Per function, the most seeds summed over the nodes at any sample while it was deployed (-1: no sample). */
  Map<String, Integer> seedsPerFunction() {
    return Map.copyOf(seedsPerFunction);
  }

  /** Per function, the JIT warm-up on every node before its measurements (none when the servers' pids are unknown). */
  Map<String, ClusterBenchJit.Warmup> jitWarmups() {
    return Map.copyOf(jitWarmups);
  }

  /** Per function, samples in which some node's /metrics did not answer. */
  Map<String, Long> partialSamples() {
    return Map.copyOf(partialSamples);
  }

  /** One function's measurements. */
  private final class FunctionRun {
    private final StartupBenchFunction f;
    private final String appId;
    private final PlatformClient api;
    private final List<TimedCalls> gateways;
    private final ClusterBenchNodes nodes;
    private final List<Integer> all = IntStream.range(0, settings.nodes()).boxed().toList();
    private final List<Integer> others = all.subList(1, all.size());
    private String fnId;
    /** When the last call so far was answered. */
    private long lastAnswerNanos = System.nanoTime();

    FunctionRun(StartupBenchFunction f, String appId, PlatformClient api, List<TimedCalls> gateways, ClusterBenchNodes nodes) {
      this.f = f;
      this.appId = appId;
      this.api = api;
      this.gateways = gateways;
      this.nodes = nodes;
    }

    void run() throws IOException {
      String label = f.label();
      nodes.phase(label);
      fnId = api.deploy(appId, label, f.memoryMb(), 30, IDLE_TIMEOUT_S, f.config(), f.bundle(settings.imageDir()));
      progress.phase("[%s] deployed (idle_timeout %d s); first call on %s (cold; its seed starts there)", label,
          IDLE_TIMEOUT_S, names.get(0));
      send(gateways.get(0), f, fnId, 1, Kind.FIRST, 0, names.get(0), calls, originNanos);
      lastAnswerNanos = System.nanoTime();
      nodes.await(List.of(0), 1, IDLE_WAIT_MS, label + "'s seed on " + names.get(0));
      // The nodes' JVMs are fresh: back-to-back calls on every node first (uncounted) warm the call path's code.
      for (int k : all) {
        for (int i = 0; i < settings.warmupCalls(); i++) {
          send(gateways.get(k), f, fnId, 1, Kind.WARMUP, 0, names.get(k), calls, originNanos);
        }
      }
      progress.phase("[%s] %d warm-up calls on each node", label, settings.warmupCalls());
      if (cpu.known() && settings.jitWarmupSeconds() > 0) {
        ClusterBenchJit.Warmup w = ClusterBenchJit.warmUp(urls, adminKey, fnId, f.body().getBytes(), cpu,
            settings.jitWarmupSeconds());
        jitWarmups.put(label, w);
        progress.phase("[%s] JIT warm-up: %d calls on all nodes at once in %.1f s, the servers' JIT at %.0f%% of a core"
            + " in the last second", label, w.calls(), w.seconds(), 100 * w.lastJitShare());
      }
      lastAnswerNanos = System.nanoTime();
      int warmupSize = Math.max(settings.burst(), settings.rateBurst());
      for (int r = 1; r <= settings.warmupRounds(); r++) {
        round(Kind.WARMUP, Kind.WARMUP, r, warmupSize);
        progress.count(label + " warm-up rounds (" + warmupSize + " calls per node)", r, settings.warmupRounds());
      }
      for (int r = 1; r <= settings.rounds(); r++) {
        round(Kind.LOCAL_FORK, Kind.REMOTE_FORK, r, settings.burst());
        progress.count(label + " rounds (" + settings.burst() + " calls on " + names.get(0) + ", then on each other node)",
            r, settings.rounds());
      }
      warm();
      rateWarmup();
      for (int r = 1; r <= settings.rateRounds(); r++) {
        rate(r);
      }
      activations();
      api.deleteFn(fnId);
      nodes.await(all, 0, IDLE_WAIT_MS, label + "'s seed and instances to go after deleting it");
      nodes.phase("");
    }

    /** Once the function runs nowhere but in its seed: a burst on node 1, then one on each other node in turn. */
    private void round(Kind onSeedNode, Kind onOthers, int round, int size) {
      awaitNoInstances();
      send(gateways.get(0), f, fnId, size, onSeedNode, round, names.get(0), calls, originNanos);
      for (int k : others) {
        LockSupport.parkNanos(NODE_SETTLE_MS * 1_000_000);
        send(gateways.get(k), f, fnId, size, onOthers, round, names.get(k), calls, originNanos);
      }
      lastAnswerNanos = System.nanoTime();
    }

    /** Until no node runs an instance of the function: the last answer's instances have idled out. */
    private void awaitNoInstances() {
      long until = lastAnswerNanos + QUIET_MS * 1_000_000;
      for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
        LockSupport.parkNanos(left);
      }
      nodes.await(all, -1, IDLE_WAIT_MS, f.label() + "'s instances to idle out (idle_timeout " + IDLE_TIMEOUT_S + " s)");
    }

    /** Back-to-back calls on the nodes without the seed, in turn; the first on each (uncounted) makes sure an instance is there. */
    private void warm() {
      for (int k : others) {
        send(gateways.get(k), f, fnId, 1, Kind.WARMUP, 0, names.get(k), calls, originNanos);
      }
      for (int i = 0; i < settings.warmCalls(); i++) {
        int k = others.get(i % others.size());
        send(gateways.get(k), f, fnId, 1, Kind.WARM, i + 1, names.get(k), calls, originNanos);
        progress.count(f.label() + " warm calls", i + 1, settings.warmCalls());
      }
      lastAnswerNanos = System.nanoTime();
    }

    /**
     * Uncounted rate rounds until the servers' JIT compiler threads used under a tenth of a core
     * over one (the remote-fork path warm calls never take: placement, forkd's client, bursts of
     * instances), at most {@code rateWarmupRounds}.
     */
    private void rateWarmup() {
      for (int r = 1; r <= settings.rateWarmupRounds(); r++) {
        long jit0 = cpu.jitNanos();
        long t0 = System.nanoTime();
        burst(Kind.WARMUP, r);
        double share = (cpu.jitNanos() - jit0) / (double) (System.nanoTime() - t0);
        progress.phase("[%s] rate warm-up round %d: the servers' JIT at %.0f%% of a core", f.label(), r, 100 * share);
        if (share < ClusterBenchJit.SETTLED_SHARE) {
          return;
        }
      }
    }

    /** One counted rate round. */
    private void rate(int round) {
      Burst b = burst(Kind.RATE, round);
      ClusterBenchCalls.Rate r = ClusterBenchCalls.Rate.of(f.label(), round, others.size(), b.calls(), RATE_HOLD_MS,
          ClusterBenchCpu.usedMs(b.cpu0(), b.cpu1()), ClusterBenchCpu.idleMs(b.idle0(), b.cpu0(), b.cpu1()));
      calls.rate(r);
      progress.phase("[%s] rate round %d: %d calls at once on %d nodes, %d remote forks in %.1f ms: %.0f/s; the nodes' CPU"
          + " %.1f ms per remote fork", f.label(), round, b.calls().size(), others.size(), r.remoteForks(), r.wallMs(),
          r.perSecond(), r.cpuMsPerRemoteFork());
    }

    /** A rate burst's calls, and the nodes' CPU readings before its idle pace, before its first send and after its last answer. */
    private record Burst(List<ClusterBenchCalls.Call> calls, ClusterBenchCpu.Reading idle0, ClusterBenchCpu.Reading cpu0,
        ClusterBenchCpu.Reading cpu1) {}

    /**
     * {@code rateBurst} calls to every node without the seed at once, none of which runs an
     * instance; each holds its instance {@link #RATE_HOLD_MS}, so every call needs a child of its own.
     */
    private Burst burst(Kind kind, int round) {
      awaitNoInstances();
      List<Future<TimedCalls.Answer>> sent = new ArrayList<>();
      List<Long> sentNanos = new ArrayList<>();
      List<Integer> via = new ArrayList<>();
      // The nodes' idle pace first, so the CPU a round's remote forks cost is what they added to it.
      ClusterBenchCpu.Reading idle0 = cpu.read();
      LockSupport.parkNanos(IDLE_PACE_MS * 1_000_000);
      // Made before the first send: the first JSON made in this process loads its codec (tens of ms).
      byte[] body = f.body(RATE_HOLD_MS).getBytes();
      ClusterBenchCpu.Reading cpu0 = cpu.read();
      for (int i = 0; i < settings.rateBurst(); i++) {
        for (int k : others) {
          sentNanos.add(System.nanoTime());
          via.add(k);
          sent.add(gateways.get(k).invoke(fnId, Buffer.buffer(body), CALL_WAIT_MS));
        }
      }
      Await.result(Future.join(sent), CALL_WAIT_MS, "the rate round's calls to " + f.label());
      ClusterBenchCpu.Reading cpu1 = cpu.read();
      lastAnswerNanos = System.nanoTime();
      List<ClusterBenchCalls.Call> inRound = new ArrayList<>();
      for (int i = 0; i < sent.size(); i++) {
        inRound.add(record(f, kind, round, names.get(via.get(i)), sent.get(i).result(), sentNanos.get(i), calls,
            originNanos));
      }
      return new Burst(inRound, idle0, cpu0, cpu1);
    }

    /** init_ms and seed_node of this function's calls, from each node's activation records. */
    private void activations() throws IOException {
      for (String url : urls) {
        for (JsonNode a : new PlatformClient(url, adminKey).activations(Map.of("fn_id", fnId, "limit", "1000"))) {
          String seedNode = a.path("seed_node").isTextual() ? a.path("seed_node").asText() : null;
          calls.activation(a.path("id").asText(), new ClusterBenchCalls.Activation(a.path("init_ms").asLong(-1), seedNode));
        }
      }
    }
  }

  /** {@code count} calls at once through one gateway; records and answers them once all are answered. */
  static List<ClusterBenchCalls.Call> send(TimedCalls gateway, StartupBenchFunction f, String fnId, int count, Kind kind,
      int round, String gatewayName, ClusterBenchCalls into, long originNanos) {
    List<Future<TimedCalls.Answer>> sent = new ArrayList<>();
    List<Long> sentNanos = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sentNanos.add(System.nanoTime());
      sent.add(gateway.invoke(fnId, f.body(), CALL_WAIT_MS));
    }
    Await.result(Future.join(sent), CALL_WAIT_MS, count + " " + f.label() + " call(s) through " + gatewayName);
    List<ClusterBenchCalls.Call> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(record(f, kind, round, gatewayName, sent.get(i).result(), sentNanos.get(i), into, originNanos));
    }
    return out;
  }

  private static ClusterBenchCalls.Call record(StartupBenchFunction f, Kind kind, int round, String gatewayName,
      TimedCalls.Answer a, long sentNanos, ClusterBenchCalls into, long originNanos) {
    ClusterBenchCalls.Call c = new ClusterBenchCalls.Call(f.label(), kind, round, gatewayName, a.node(), a.startMode(),
        a.status(), a.latencyMs(), (sentNanos - originNanos) / 1e6, a.callId());
    into.add(c);
    return c;
  }
}
