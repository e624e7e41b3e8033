package io.cleave.cli.cluster;

import io.cleave.bench.ClusterBench;
import io.cleave.bench.ClusterBenchCalls;
import io.cleave.bench.ClusterBenchCold;
import io.cleave.bench.ClusterBenchReport;
import io.cleave.bench.ClusterBenchSettings;
import io.cleave.bench.MachineCosts;
import io.cleave.bench.StartupBenchProgress;
import io.cleave.bench.replay.BenchOptions;
import io.cleave.bench.replay.ExperimentCommand;
import io.cleave.client.CliFailure;
import io.cleave.client.UsageFailure;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cleave bench cluster}: remote fork in a real cluster on this machine (nodes in network
 * namespaces, as {@code cleave cluster up} makes them), against local fork, cold start and warm
 * calls, with the remote-fork rate and the seeds per function. It lives beside the cluster
 * commands because it brings a cluster up and down with their classes; {@code Main} adds it under
 * {@code bench}. The cluster always goes down again: at the end, on failure, and on Ctrl-C.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    resourceBundle = "io.cleave.bench.replay.OptionDescriptions",
    description = {
      "Remote fork across a real cluster on this machine (needs root): N nodes in",
      "network namespaces, the hello and image (numpy + PIL) functions, node 1 holding",
      "each one's seed. Measured through the other nodes' gateways: remote-fork starts,",
      "warm calls and remote forks per second under concurrent load; local forks on",
      "node 1; the seeds per function; cold starts on a standalone cold-only server.",
      "Writes summary.json, CSVs of every call and a PNG; prints ratios against cold",
      "and the targets as findings."
    })
public final class ClusterBenchCommand extends ExperimentCommand {
  @Option(names = "--quick", description = "A short run (about 2 minutes with 3 nodes on a 2-core machine)")
  boolean quick;

  @Option(names = "--nodes", paramLabel = "N", defaultValue = "3",
      description = "Cluster nodes, " + ClusterBenchSettings.MIN_NODES + "-" + ClusterBenchSettings.MAX_NODES
          + "; node 1 holds the seeds (default: ${DEFAULT-VALUE})")
  int nodes;

  @Mixin BenchOptions.OutputDir out = new BenchOptions.OutputDir(Path.of("bench-out", "cluster"));
  @Mixin BenchOptions.ImageDir images;

  @Option(names = "--cold-calls", paramLabel = "N", description = "Cold calls per function (default: 10, 4 with --quick)")
  Integer coldCalls;

  @Option(names = "--warmup-calls", paramLabel = "N",
      description = "Uncounted back-to-back calls on each node first, per function (default: 200, 50 with --quick)")
  Integer warmupCalls;

  @Option(names = "--warmup-rounds", paramLabel = "N", description = "Uncounted rounds first (default: 2, 1 with --quick)")
  Integer warmupRounds;

  @Option(names = "--rounds", paramLabel = "N",
      description = "Rounds of calls on node 1 (local forks), then on each other node (remote forks) (default: 20, 6 with --quick)")
  Integer rounds;

  @Option(names = "--burst", paramLabel = "N", description = "Concurrent calls per node and round (default: 1: more let a call be served by another's instance)")
  Integer burst;

  @Option(names = "--warm-calls", paramLabel = "N", description = "Warm calls per function (default: 200, 40 with --quick)")
  Integer warmCalls;

  @Option(names = "--rate-rounds", paramLabel = "N", description = "Rounds of the remote-fork rate test (default: 3, 2 with --quick)")
  Integer rateRounds;

  @Option(names = "--rate-burst", paramLabel = "N",
      description = "Calls at once on each node without the seed in a rate round (default: 16, 8 with --quick)")
  Integer rateBurst;

  @Option(names = "--fork-ahead", paramLabel = "N", defaultValue = "2",
      description = "The nodes' --fork-ahead (default: ${DEFAULT-VALUE}, the server's: calls take children forked, or"
          + " restored, ahead; 0: every fork and remote fork timed is made when its call comes)")
  int forkAhead;

  @Option(names = "--rate-warmup-rounds", paramLabel = "N", defaultValue = "6",
      description = "Uncounted rate rounds first, at most: until the servers' JIT compilers settled over one (default:"
          + " ${DEFAULT-VALUE})")
  int rateWarmupRounds;

  @Option(names = "--jit-warmup-seconds", paramLabel = "S", defaultValue = "30",
      description = "At most this long, warm calls on every node at once before anything is timed, until the servers'"
          + " JIT compilers settled (default: ${DEFAULT-VALUE}; 0: none)")
  int jitWarmupSeconds;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "180",
      description = "Give up when the cluster is not up by then (default: ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Mixin BenchOptions.Progress progress;

  @Override
  protected int run() throws IOException {
    ClusterBenchSettings settings = settings();
    if (timeoutSeconds < 1) {
      throw new UsageFailure("--timeout must be at least 1 second, got " + timeoutSeconds);
    }
    if (!Files.isDirectory(settings.imageDir())) {
      throw new UsageFailure("image directory " + settings.imageDir() + " does not exist (see --image-dir)");
    }
    if (Privileges.effectiveUid() != 0) {
      throw new CliFailure("cleave bench cluster needs root: it runs a cluster in network namespaces (see cleave cluster up);"
          + " run it as root, e.g. sudo ./cleave bench cluster --quick");
    }
    Path dir = out.dir().toAbsolutePath().normalize();
    ClusterBenchRun run = new ClusterBenchRun(dir, settings, timeoutSeconds,
        new StartupBenchProgress(System.err, progress.shown()));
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    Thread onCtrlC = new Thread(run::stop, "bench-cluster-teardown");
    Runtime.getRuntime().addShutdownHook(onCtrlC);
    try {
      ClusterBenchReport report = run.measure(vertx);
      System.out.println();
      System.out.print(report.table());
      System.out.println("output: " + dir);
      return 0;
    } finally {
      run.stop();
      try {
        Runtime.getRuntime().removeShutdownHook(onCtrlC);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run: nothing left to remove
      }
      vertx.close().await();
    }
  }

  ClusterBenchSettings settings() {
    Path imageDir = images.dir().toAbsolutePath();
    ClusterBenchSettings d;
    try {
      d = quick ? ClusterBenchSettings.quick(nodes, imageDir) : ClusterBenchSettings.full(nodes, imageDir);
      return new ClusterBenchSettings(nodes, or(coldCalls, d.coldCalls()), or(warmupCalls, d.warmupCalls()),
          or(warmupRounds, d.warmupRounds()),
          or(rounds, d.rounds()), or(burst, d.burst()), or(warmCalls, d.warmCalls()), or(rateRounds, d.rateRounds()),
          or(rateBurst, d.rateBurst()), imageDir, forkAhead, rateWarmupRounds,
          jitWarmupSeconds);
    } catch (IllegalArgumentException e) {
      throw new UsageFailure(e.getMessage());
    }
  }

  private static int or(Integer given, int preset) {
    return given != null ? given : preset;
  }

  /** One run's steps and what must be stopped again: the cold-only server, the cluster. */
  static final class ClusterBenchRun {
    private final Path out;
    private final ClusterBenchSettings settings;
    private final int timeoutSeconds;
    private final StartupBenchProgress progress;
    private final ClusterLayout layout;
    private BenchCluster cluster;
    private ClusterBenchCold cold;
    private boolean stopped;

    ClusterBenchRun(Path out, ClusterBenchSettings settings, int timeoutSeconds, StartupBenchProgress progress) {
      this.out = out;
      this.settings = settings;
      this.timeoutSeconds = timeoutSeconds;
      this.progress = progress;
      this.layout = ClusterLayout.of(out.resolve("cluster"));
    }

    ClusterBenchReport measure(Vertx vertx) throws IOException {
      Files.createDirectories(out);
      BenchCluster prepared = BenchCluster.prepare(layout);
      progress.phase("measuring the machine's page fault and fork costs");
      MachineCosts costs = MachineCosts.measure();
      long t0 = System.nanoTime();
      double loadAtStart = MachineCosts.loadAverage();
      ClusterBenchCalls calls = new ClusterBenchCalls();
      progress.phase("cold-start baseline: a standalone cleave server --policy cold-only (log in %s)", out.resolve("servers"));
      ClusterBenchCold baseline;
      synchronized (this) {
        refuseIfStopped();
        baseline = cold = ClusterBenchCold.start(out, List.of());
      }
      baseline.measure(vertx, settings, calls, t0, progress);
      stopCold();
      progress.phase("bringing up a cluster of %d nodes in %s", settings.nodes(), layout.dir());
      synchronized (this) {
        refuseIfStopped();
        cluster = prepared;
      }
      // By default the nodes run as a server does (--fork-ahead 2): calls take children forked or
      // restored ahead; with --fork-ahead 0 every fork and remote fork is made when its call comes.
      // The JIT warm-up measures nothing, and must not meet the per-app call limit (60,000 a minute).
      LocalCluster nodes = prepared.up(settings.nodes(), List.of("--fork-ahead", Integer.toString(settings.forkAhead()),
          "--app-max-calls-per-minute", Integer.toString(Integer.MAX_VALUE)), timeoutSeconds, System.err);
      progress.phase("cluster %s up: %s", nodes.name(), String.join(", ", nodes.apiUrls()));
      ClusterBench bench = new ClusterBench(vertx, settings, nodes.apiUrls(), nodes.adminKey(), nodes.nodeNames(),
          nodes.serverPids(), calls,
          t0, progress);
      bench.run();
      double seconds = (System.nanoTime() - t0) / 1e9;
      double loadAtEnd = MachineCosts.loadAverage();
      ClusterBenchReport report = ClusterBenchReport.of(new ClusterBenchReport.Run(settings, nodes.name(),
          nodes.nodeNames(), seconds, loadAtStart, loadAtEnd, costs), calls, bench);
      report.write(out);
      progress.phase("wrote %s; taking the cluster down", out);
      stop();
      return report;
    }

    /** Ctrl-C came first: nothing more is started. */
    private void refuseIfStopped() {
      if (stopped) {
        throw new CliFailure("interrupted");
      }
    }

    private synchronized void stopCold() {
      if (cold != null) {
        cold.close();
        cold = null;
      }
    }

    /**
     * Stops whatever runs, once (the run's end, a failure and Ctrl-C's shutdown hook all call it):
     * the cold-only server, and the cluster (also while it is still coming up).
     */
    synchronized void stop() {
      if (stopped) {
        return;
      }
      stopped = true;
      stopCold();
      if (cluster != null) {
        cluster.down();
      }
    }
  }
}
