package io.cleave.bench;

import io.cleave.bench.replay.BenchOptions;
import io.cleave.bench.replay.ExperimentCommand;
import io.cleave.bench.replay.LoadOptions;
import io.cleave.bench.replay.PolicyNodes;
import io.cleave.bench.replay.PolicyServer;
import io.cleave.bench.replay.SharedData;
import io.cleave.bench.replay.Trace;
import io.cleave.bench.replay.TraceReader;
import io.cleave.client.UsageFailure;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cleave bench spike}: the load-spike experiment under cold-only, keep-alive and fork on one
 * node, or with {@code --nodes N} under keep-alive and remote-fork on an N-node cluster. The cluster
 * classes live in the cli module, which depends on this one: it hands them in ({@link Clusters}), and
 * {@code Main} adds this command under {@code bench} with them.
 */
@Command(
    name = "spike",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    resourceBundle = "io.cleave.bench.replay.OptionDescriptions",
    description = {
      "MITOSIS's load-spike experiment on this machine: the image function (numpy + PIL thumbnails) driven by the",
      "arrivals of the burstiest function of the Azure 2019 sample, replayed under each policy on a fresh server.",
      "Prints tail latency during the burst and peak memory per policy, and fork's ratios against keep-alive.",
      "With --nodes N (root): the same on a fresh N-node cluster per policy, keep-alive on every node against",
      "remote-fork (one seed in the cluster), the calls spread over all nodes' gateways, memory summed over the nodes."
    })
public final class SpikeBenchCommand extends ExperimentCommand {
  /** Policies compared on one node, and on a cluster. */
  static final List<String> SINGLE_NODE_POLICIES = List.of("cold-only", "keep-alive", "fork");
  static final List<String> CLUSTER_POLICIES = List.of("keep-alive", "remote-fork");
  static final int MIN_NODES = ClusterBenchSettings.MIN_NODES;
  static final int MAX_NODES = ClusterBenchSettings.MAX_NODES;

  /** Fresh clusters on this machine, one per policy; given by the cli module, which has the cluster classes. */
  public interface Clusters {
    /** Fails (as a {@link io.cleave.client.CliFailure}) when this process cannot run a cluster; starts nothing. */
    void requireRoot();

    /**
     * Starts, per policy, {@code nodes} nodes on that policy in the policy's output directory, and
     * takes them down again when closed (and on Ctrl-C).
     */
    PolicyNodes.Starter starter(int nodes, List<String> serverArgs, PrintStream progress);
  }

  private final Clusters clusters;

  public SpikeBenchCommand(Clusters clusters) {
    this.clusters = clusters;
  }

  @Option(names = "--nodes", paramLabel = "N",
      description = "Run on a cluster of N nodes (" + MIN_NODES + "-" + MAX_NODES + ", needs root), one fresh cluster per policy"
          + " (default: one standalone server per policy)")
  Integer nodes;
  @Option(names = "--quick", description = "A short run: 2 trace minutes before the burst, none after, shorter limits (about 3 minutes in all)")
  boolean quick;

  @Mixin BenchOptions.OutputDir out = new BenchOptions.OutputDir(Path.of("bench-out", "spike"));

  @Option(names = "--trace", paramLabel = "DIR", description = "Azure 2019 trace directory (default: <shared data>/azure2019/sample100-8h)")
  Path trace;

  @Option(names = "--function", paramLabel = "HASH", description = "Trace function by hash prefix (default: the burstiest)")
  String function;

  @Option(names = "--policies", split = ",", paramLabel = "P[,P...]",
      description = "Policies compared (default: cold-only,keep-alive,fork; keep-alive,remote-fork with --nodes)")
  List<String> policies;

  @Option(names = "--seconds-per-minute", paramLabel = "S", description = "Seconds per trace minute (default: ${DEFAULT-VALUE})")
  double secondsPerMinute = SpikeBench.DEFAULT_SECONDS_PER_MINUTE;

  @Option(names = "--peak-rate", paramLabel = "R", description = "Calls per second in the burst's peak minute (default: ${DEFAULT-VALUE})")
  double peakRate = SpikeBench.DEFAULT_PEAK_RATE;

  @Option(names = "--before", paramLabel = "N", description = "Trace minutes replayed before the burst (default: 6, 2 with --quick)")
  Integer before;

  @Option(names = "--after", paramLabel = "N", description = "Trace minutes replayed after the burst (default: 4, 0 with --quick)")
  Integer after;

  @Option(names = "--seed", description = "Seed for arrival times (default: ${DEFAULT-VALUE})")
  long seed = 1;

  @Mixin BenchOptions.InFlight inFlight = new BenchOptions.InFlight(null);

  @Option(names = "--idle-timeout", paramLabel = "S", description = "idle_timeout of the image function (default: ${DEFAULT-VALUE})")
  int idleTimeoutS = 30;

  @Mixin BenchOptions.Tail tail = new BenchOptions.Tail(null, null);

  @Option(names = "--io-ms", paramLabel = "MS",
      description = "Per call, the image function waits this long as if fetching and storing via an object store (default: ${DEFAULT-VALUE})")
  long ioMs = SpikeBench.DEFAULT_IO_MS;

  @Mixin BenchOptions.ImageDir images;
  @Mixin BenchOptions.ServerArgs servers;
  @Mixin BenchOptions.Progress progress;

  @Override
  protected int run() throws IOException {
    if (nodes != null && (nodes < MIN_NODES || nodes > MAX_NODES)) {
      throw new UsageFailure("--nodes must be between " + MIN_NODES + " and " + MAX_NODES + " (one node holds the remote-fork"
          + " seed, the others restore children of it), got " + nodes);
    }
    if (nodes != null) {
      clusters.requireRoot();
    }
    Trace t = TraceReader.read(trace != null ? trace : SharedData.dir().resolve("azure2019").resolve("sample100-8h"));
    SpikeBench.Plan plan = SpikeBench.plan(t, function, before != null ? before : quick ? 2 : 6, after != null ? after : quick ? 0 : 4,
        secondsPerMinute, peakRate, seed);
    double tailPreset = quick ? 10 : 12;
    LoadOptions load = new LoadOptions(inFlight.max(), inFlight.callTimeoutMs(quick ? 15 : 60), 250, tail.tailMs(tailPreset),
        tail.maxTailMs(tailPreset, quick ? 20 : 60), progress.shown());
    PolicyNodes.Starter starter = nodes == null ? PolicyServer.standalone(servers.args(), System.out)
        : clusters.starter(nodes, servers.args(), System.err);
    List<String> compared = policies != null ? policies : nodes == null ? SINGLE_NODE_POLICIES : CLUSTER_POLICIES;
    Vertx vertx = Vertx.vertx();
    try {
      SpikeBench.run(vertx, t, plan, compared, SpikeBench.imageDeploy(images.dir(), idleTimeoutS, ioMs), load, out.dir(),
          starter, System.out);
      System.out.println("output: " + out.dir().toAbsolutePath());
      return 0;
    } finally {
      vertx.close().await();
    }
  }
}
