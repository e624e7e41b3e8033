package io.cleave.bench;

import io.cleave.bench.StartupBenchFigures.Metric;
import io.cleave.bench.replay.PolicyServer;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.TimedCalls;
import io.cleave.forkd.api.ForkdClient;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * How fast instances start, side by side for a hello function and an image function (numpy + PIL):
 * cold, warm and fork calls through the gateway, each policy on a fresh server process of its own
 * ({@link PolicyServer}); the pure start cost through forkd's order channel; memory per instance and per
 * seed; instances per second forked from one seed. Blocks the calling thread, which must not be a
 * Vert.x event loop.
 *
 * <p>Start latency as a call sees it is its end-to-end latency through the gateway minus the p50
 * of the same call sent straight to a warm instance's socket (the function's own work and one
 * unix-socket round trip), so for a warm call it is the gateway's and invoker's overhead.
 */
public final class StartupBench {
  static final String COLD_ONLY = "cold-only";
  static final String KEEP_ALIVE = "keep-alive";
  static final String FORK = "fork";
  /** idle_timeout of the fork phase: instances made by a burst go away before the next burst (Fn's minimum). */
  private static final int FORK_PHASE_IDLE_S = 1;
  private static final int KEPT_IDLE_S = 600;
  /** Between one function's fork burst and the next function's, within a round. */
  private static final long SETTLE_MS = 300;
  /** Warm calls to the pacer function right before each fork burst. */
  private static final int PACER_CALLS = 3;

  /**
   * How much to measure. Counts are per function.
   *
   * @param coldCalls calls under cold-only (each a cold start)
   * @param warmCalls warm calls through the gateway, each paired with a direct call to the instance
   * @param warmup calls of each kind sent first and not counted (the server's JIT warms up)
   * @param forkRounds bursts under the fork policy, each once the previous burst's instances are gone
   * @param forkBurst concurrent calls per burst (each served by a new fork)
   * @param forkdStarts cold starts and forks ordered from forkd directly
   * @param memoryGroup instances of a kind alive side by side when memory is read
   * @param maxConcurrency fork orders outstanding at most in the fork-rate test (1, 2, 4, ... up to it)
   * @param forksPerLevel forks per concurrency level in the fork-rate test
   * @param forkAhead the fork-policy server's {@code --fork-ahead}: children each seed keeps parked
   * @param warmConnections keep-alive connections of the warm-throughput run
   * @param warmSeconds how long the warm-throughput run lasts (after as long again a fifth, uncounted)
   * @param imageDir the photographs the image function reads
   */
  public record Settings(int coldCalls, int warmCalls, int warmup, int forkRounds, int forkBurst, int forkdStarts,
      int memoryGroup, int maxConcurrency, int forksPerLevel, int forkAhead, int warmConnections, double warmSeconds,
      Path imageDir) {

    public Settings {
      if (coldCalls < 1 || warmCalls < 1 || warmup < 0 || forkRounds < 1 || forkBurst < 1 || forkdStarts < 1
          || memoryGroup < 1 || maxConcurrency < 1 || forksPerLevel < 1 || forkAhead < 0 || warmConnections < 1
          || !(warmSeconds > 0)) {
        throw new IllegalArgumentException("every count must be at least 1 (warm-up and fork-ahead at least 0)");
      }
    }

    /** About two and a half minutes on a 2-core machine. */
    public static Settings full(Path imageDir) {
      return new Settings(20, 500, 200, 20, 2, 40, 8, 16, 96, 2, 4, 10, imageDir);
    }

    /** Within a minute. */
    public static Settings quick(Path imageDir) {
      return new Settings(4, 50, 20, 3, 2, 6, 3, 8, 16, 2, 4, 3, imageDir);
    }

    /** 1, 2, 4, ... and {@code maxConcurrency} itself. */
    public List<Integer> concurrencyLevels() {
      List<Integer> levels = new ArrayList<>();
      for (int c = 1; c < maxConcurrency; c *= 2) {
        levels.add(c);
      }
      levels.add(maxConcurrency);
      return levels;
    }
  }

  private final Vertx vertx;
  private final Settings settings;
  private final Path out;
  private final List<String> serverArgs;
  private final StartupBenchProgress progress;
  private final Map<StartupBenchFunction, StartupBenchFigures> figures = new LinkedHashMap<>();
  /** The app deployed on each policy's server. */
  private final Map<String, String> appIds = new LinkedHashMap<>();

  public StartupBench(Vertx vertx, Settings settings, Path out, List<String> serverArgs, StartupBenchProgress progress) {
    if (!vertx.isNativeTransportEnabled()) {
      throw new IllegalStateException("the startup benchmark needs Vert.x's native transport (unix sockets): "
          + vertx.unavailableNativeTransportCause());
    }
    this.vertx = vertx;
    this.settings = settings;
    this.out = out;
    this.serverArgs = List.copyOf(serverArgs);
    this.progress = progress;
    for (StartupBenchFunction f : StartupBenchFunction.values()) {
      figures.put(f, new StartupBenchFigures(f));
    }
  }

  /** Runs every phase and writes the output directory; answers what was measured. */
  public StartupBenchReport run() throws IOException {
    if (!Files.isDirectory(settings.imageDir())) {
      throw new IllegalArgumentException("image directory " + settings.imageDir() + " does not exist (see --image-dir)");
    }
    Files.createDirectories(out);
    progress.phase("measuring the machine's page fault and fork costs");
    MachineCosts costs = MachineCosts.measure();
    double loadBefore = MachineCosts.loadAverage();
    long t0 = System.nanoTime();
    List<String> policies = List.of(COLD_ONLY, KEEP_ALIVE, FORK);
    List<StartupBenchServer> servers = StartupBenchServer.boot(policies, settings, out, serverArgs, progress);
    try {
      for (StartupBenchServer server : servers) {
        try (server) {
          Phase phase = switch (server.policy()) {
            case COLD_ONLY -> this::coldPhase;
            case KEEP_ALIVE -> this::warmPhase;
            default -> this::forkPhase;
          };
          PlatformClient api = new PlatformClient(server.process().url().toString(), server.process().adminKey());
          int connections = Math.max(4, Math.max(settings.forkBurst(), settings.warmConnections()));
          try (TimedCalls calls = new TimedCalls(vertx, server.process().url(), connections,
              server.process().adminKey());
              ForkdClient forkd = new ForkdClient(vertx, server.data().resolve("run").resolve("forkd.sock"))) {
            phase.run(server, api, new StartupBenchCalls(calls, settings.forkBurst()), forkd);
          }
          progress.phase("[%s] stopping the server", server.policy());
        }
      }
    } finally {
      servers.forEach(StartupBenchServer::close);
    }
    StartupBenchReport report = new StartupBenchReport(List.copyOf(figures.values()), settings, (System.nanoTime() - t0) / 1e9,
        loadBefore, MachineCosts.loadAverage(), costs);
    report.write(out);
    progress.phase("wrote %s", out);
    return report;
  }

  /** One phase against the fresh server of its policy. */
  private interface Phase {
    void run(StartupBenchServer server, PlatformClient api, StartupBenchCalls calls, ForkdClient forkd) throws IOException;
  }

  private Map<StartupBenchFunction, String> deploy(PlatformClient api, String policy, int idleTimeoutS) throws IOException {
    String appId = JsonText.text(api.createApp(JsonText.object().put("name", "bench-startup")), "id");
    Map<StartupBenchFunction, String> ids = new LinkedHashMap<>();
    for (StartupBenchFunction f : StartupBenchFunction.values()) {
      ids.put(f, api.deploy(appId, f.label(), f.memoryMb(), 30, idleTimeoutS, f.config(), f.bundle(settings.imageDir())));
    }
    progress.phase("[%s] deployed %s (app %s, idle_timeout %d s)", policy, ids.keySet().stream()
        .map(StartupBenchFunction::label).toList(), appId, idleTimeoutS);
    appIds.put(policy, appId);
    return ids;
  }


  // ------------------------------------------------------------------------------ cold-only

  private void coldPhase(StartupBenchServer server, PlatformClient api, StartupBenchCalls calls, ForkdClient forkd) throws IOException {
    Map<StartupBenchFunction, String> fns = deploy(api, COLD_ONLY, 30);
    for (Map.Entry<StartupBenchFunction, String> e : fns.entrySet()) {
      StartupBenchFigures into = figures.get(e.getKey());
      // The first call on a node also unpacks the bundle: not a start cost.
      calls.call(e.getKey(), e.getValue());
      List<String> callIds = new ArrayList<>();
      for (int i = 0; i < settings.coldCalls(); i++) {
        TimedCalls.Answer a = calls.call(e.getKey(), e.getValue());
        if ("cold".equals(a.startMode())) {
          into.add(Metric.INVOKE_COLD, a.latencyMs());
          callIds.add(a.callId());
        } else {
          into.stray("cold-only", a.startMode());
        }
        progress.count(e.getKey().label() + " cold calls", i + 1, settings.coldCalls());
      }
      StartupBenchCalls.initTimes(api, callIds, into, Metric.INIT_COLD);
    }
    StartupBenchForkd direct = new StartupBenchForkd(forkd, calls.timed(), progress);
    boolean warmedUp = false;
    for (Map.Entry<StartupBenchFunction, String> e : fns.entrySet()) {
      StartupBenchFunction f = e.getKey();
      StartupBenchForkd.Target target = new StartupBenchForkd.Target(f, e.getValue(), appIds.get(COLD_ONLY), server.data(),
          f.unpackedDir(server.data(), settings.imageDir()), StartupBenchForkd.env(f.config()));
      if (!warmedUp) {
        direct.warmUp(target, 2 * settings.warmup());
        warmedUp = true;
      }
      direct.measure(target, settings.forkdStarts(), Math.min(settings.memoryGroup(), settings.forkdStarts()),
          settings.concurrencyLevels(), settings.forksPerLevel(), figures.get(f));
    }
  }

  // ----------------------------------------------------------------------------- keep-alive

  private void warmPhase(StartupBenchServer server, PlatformClient api, StartupBenchCalls calls, ForkdClient forkd) throws IOException {
    Map<StartupBenchFunction, String> fns = deploy(api, KEEP_ALIVE, KEPT_IDLE_S);
    // The server's JIT compiles the call path first, on a function of its own: the instances it
    // leaves are not among those measured below.
    StartupBenchFunction jit = StartupBenchFunction.HELLO;
    String jitFn = api.deploy(appIds.get(KEEP_ALIVE), "jit-warmup", jit.memoryMb(), 30, KEPT_IDLE_S, jit.config(),
        jit.bundle(settings.imageDir()));
    long jitCalls = StartupBenchWarmLoad.jitWarmupCalls(settings.warmCalls());
    progress.phase("[%s] JIT warm-up: %d calls through the gateway", KEEP_ALIVE, jitCalls);
    double took = StartupBenchWarmLoad.warmUpJit(server.process(), jitFn, jit.body(), settings.warmConnections(), jitCalls);
    progress.phase("[%s] JIT warm-up took %.1f s", KEEP_ALIVE, took);
    Set<Path> seen = new HashSet<>(server.listeners());
    for (Map.Entry<StartupBenchFunction, String> e : fns.entrySet()) {
      StartupBenchFunction f = e.getKey();
      StartupBenchFigures into = figures.get(f);
      calls.call(f, e.getValue());
      Path socket = server.newListener(seen);
      for (int i = 0; i < settings.warmup(); i++) {
        calls.call(f, e.getValue());
        calls.direct(f, socket);
      }
      // Alternating keeps slow drifts of a noisy machine out of the difference between the two.
      for (int i = 0; i < settings.warmCalls(); i++) {
        TimedCalls.Answer a = calls.call(f, e.getValue());
        if ("warm".equals(a.startMode())) {
          into.add(Metric.INVOKE_WARM, a.latencyMs());
        } else {
          into.stray("keep-alive", a.startMode());
        }
        into.add(Metric.DIRECT_WARM, calls.direct(f, socket).latencyMs());
        progress.count(f.label() + " warm calls (gateway + direct)", i + 1, settings.warmCalls());
      }
    }
    StartupBenchFunction noOp = StartupBenchFunction.HELLO;
    progress.phase("[%s] warm throughput: %d connections for %s s", KEEP_ALIVE, settings.warmConnections(),
        settings.warmSeconds());
    figures.get(noOp).warmLoad(StartupBenchWarmLoad.run(server.process(), server.data(), fns.get(noOp), noOp.body(),
        settings.warmConnections(), settings.warmSeconds() / 5, settings.warmSeconds(), figures.get(noOp)));
  }

  // ----------------------------------------------------------------------------------- fork

  private void forkPhase(StartupBenchServer server, PlatformClient api, StartupBenchCalls calls, ForkdClient forkd) throws IOException {
    Map<StartupBenchFunction, String> fns = deploy(api, FORK, FORK_PHASE_IDLE_S);
    // A third function kept warm: a few calls to it right before each burst keep the gateway and
    // invoker as awake as under traffic. Bursts must wait for instances to time out, and on a
    // shared 2-core machine a call after a second of silence costs several ms more (warm ones too).
    StartupBenchFunction pacerCode = StartupBenchFunction.HELLO;
    String pacer = api.deploy(appIds.get(FORK), "pacer", pacerCode.memoryMb(), 30, KEPT_IDLE_S, Map.of(), pacerCode.bundle(settings.imageDir()));
    calls.call(pacerCode, pacer);
    int seeds = 1;
    StartupBenchCalls.awaitHealth(forkd, seeds, -1, "the pacer's seed");
    for (Map.Entry<StartupBenchFunction, String> e : fns.entrySet()) {
      // The first call starts cold and has the seed made in the background.
      calls.call(e.getKey(), e.getValue());
      seeds++;
      StartupBenchCalls.awaitHealth(forkd, seeds, -1, e.getKey().label() + "'s seed");
      // Bursts, not single calls: the client then holds a connection per call of a burst, so no
      // burst call waits for a TCP connect (and finds the instance of another call already idle).
      for (int i = 0; i < settings.warmup(); i += settings.forkBurst()) {
        calls.burst(e.getKey(), e.getValue());
      }
    }
    StartupBenchFunction warm = StartupBenchFunction.HELLO;
    new StartupBenchForkd(forkd, calls.timed(), progress).warmUp(new StartupBenchForkd.Target(warm, pacer, appIds.get(FORK), server.data(),
        warm.unpackedDir(server.data(), settings.imageDir()), StartupBenchForkd.env(Map.of())), 2 * settings.warmup());
    Map<StartupBenchFunction, List<String>> callIds = new LinkedHashMap<>();
    // Besides the pacer's warm instance, each seed's parked children (--fork-ahead) stay.
    int kept = 1 + seeds * settings.forkAhead();
    for (int r = 0; r < settings.forkRounds(); r++) {
      // Every other instance must have timed out, and the parked children taken by the last burst been replaced.
      StartupBenchCalls.awaitHealth(forkd, seeds, kept, "the previous burst's instances to go (idle_timeout " + FORK_PHASE_IDLE_S + " s)");
      boolean first = true;
      for (Map.Entry<StartupBenchFunction, String> e : fns.entrySet()) {
        if (!first) {
          // The previous function's parked children taken by its burst are replaced (forked and
          // faulted in) right after it: each function's burst is timed without the others' work
          // beside it, as its cold starts are.
          sleep(SETTLE_MS);
        }
        first = false;
        StartupBenchFigures into = figures.get(e.getKey());
        for (int i = 0; i < PACER_CALLS; i++) {
          calls.call(pacerCode, pacer);
        }
        for (TimedCalls.Answer a : calls.burst(e.getKey(), e.getValue())) {
          if ("fork".equals(a.startMode())) {
            into.add(Metric.INVOKE_FORK, a.latencyMs());
            callIds.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(a.callId());
          } else {
            into.stray("fork", a.startMode());
          }
        }
      }
      progress.count("fork bursts (" + settings.forkBurst() + " calls per function)", r + 1, settings.forkRounds());
    }
    for (Map.Entry<StartupBenchFunction, List<String>> e : callIds.entrySet()) {
      StartupBenchCalls.initTimes(api, e.getValue(), figures.get(e.getKey()), Metric.INIT_FORK);
    }
  }

  /** Sleeps the bench's own thread (never an event loop); an interrupt ends the run. */
  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  static void removeTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a data dir the server left busy stays in the temp dir; nothing reads it again
    }
  }
}
