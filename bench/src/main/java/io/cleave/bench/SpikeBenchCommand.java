package io.cleave.bench;

import io.cleave.bench.replay.BenchOptions;
import io.cleave.bench.replay.ExperimentCommand;
import io.cleave.bench.replay.LoadOptions;
import io.cleave.bench.replay.SharedData;
import io.cleave.bench.replay.Trace;
import io.cleave.bench.replay.TraceReader;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cleave bench spike}: the load-spike experiment under cold-only, keep-alive and fork. */
@Command(
    name = "spike",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "MITOSIS's load-spike experiment on this machine: the image function (numpy + PIL thumbnails) driven by the",
      "arrivals of the burstiest function of the Azure 2019 sample, replayed under each policy on a fresh server.",
      "Prints tail latency during the burst and peak memory per policy, and fork's ratios against keep-alive."
    })
public final class SpikeBenchCommand extends ExperimentCommand {
  @Option(names = "--quick", description = "A short run: 2 trace minutes before the burst, none after, shorter limits (about 3 minutes in all)")
  boolean quick;

  @Mixin BenchOptions.OutputDir out = new BenchOptions.OutputDir(Path.of("bench-out", "spike"));

  @Option(names = "--trace", paramLabel = "DIR", description = "Azure 2019 trace directory (default: <shared data>/azure2019/sample100-8h)")
  Path trace;

  @Option(names = "--function", paramLabel = "HASH", description = "Trace function by hash prefix (default: the burstiest)")
  String function;

  @Option(names = "--policies", split = ",", paramLabel = "P[,P...]", defaultValue = "cold-only,keep-alive,fork",
      description = "Policies compared (default: ${DEFAULT-VALUE})")
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
    Trace t = TraceReader.read(trace != null ? trace : SharedData.dir().resolve("azure2019").resolve("sample100-8h"));
    SpikeBench.Plan plan = SpikeBench.plan(t, function, before != null ? before : quick ? 2 : 6, after != null ? after : quick ? 0 : 4,
        secondsPerMinute, peakRate, seed);
    double tailPreset = quick ? 10 : 12;
    LoadOptions load = new LoadOptions(inFlight.max(), inFlight.callTimeoutMs(quick ? 15 : 60), 250, tail.tailMs(tailPreset),
        tail.maxTailMs(tailPreset, quick ? 20 : 60), progress.shown());
    Vertx vertx = Vertx.vertx();
    try {
      SpikeBench.run(vertx, t, plan, policies, SpikeBench.imageDeploy(images.dir(), idleTimeoutS, ioMs), load, out.dir(),
          servers.args(), System.out);
      System.out.println("output: " + out.dir().toAbsolutePath());
      return 0;
    } finally {
      vertx.close().await();
    }
  }
}
