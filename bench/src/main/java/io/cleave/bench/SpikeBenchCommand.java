package io.cleave.bench;

import io.cleave.bench.replay.LoadOptions;
import io.cleave.bench.replay.SharedData;
import io.cleave.bench.replay.Trace;
import io.cleave.bench.replay.TraceReader;
import io.cleave.client.CliFailure;
import io.cleave.client.UserCommand;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
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
public final class SpikeBenchCommand extends UserCommand {
  @Option(names = "--quick", description = "A short run: 2 trace minutes before the burst, none after, shorter limits (about 3 minutes in all)")
  boolean quick;

  @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE})")
  Path out = Path.of("bench-out", "spike");

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

  @Option(names = "--max-in-flight", paramLabel = "N", description = "Outstanding calls at most; more are dropped (default: ${DEFAULT-VALUE})")
  int maxInFlight = 256;

  @Option(names = "--call-timeout", paramLabel = "S", description = "Client-side limit per call (default: 60, 15 with --quick)")
  Integer callTimeoutS;

  @Option(names = "--idle-timeout", paramLabel = "S", description = "idle_timeout of the image function (default: ${DEFAULT-VALUE})")
  int idleTimeoutS = 30;

  @Option(names = "--tail", paramLabel = "S", description = "Keep sampling /metrics this long after the last answer and after "
      + "the last instance still starting is up; the server refreshes memory every 10 s (default: 12, 10 with --quick)")
  Double tailS;

  @Option(names = "--max-tail", paramLabel = "S", description = "Longest tail (default: 60, 20 with --quick)")
  Double maxTailS;

  @Option(names = "--io-ms", paramLabel = "MS",
      description = "Per call, the image function waits this long as if fetching and storing via an object store (default: ${DEFAULT-VALUE})")
  long ioMs = SpikeBench.DEFAULT_IO_MS;

  @Option(names = "--image-dir", paramLabel = "DIR", description = "Photographs (default: <shared data>/images)")
  Path imageDir;

  @Option(names = "--server-arg", paramLabel = "ARG", description = "Extra argument for each server (repeatable)")
  List<String> serverArgs = new ArrayList<>();

  @Option(names = "--no-progress", description = "No progress bar on stderr")
  boolean noProgress;

  @Override
  protected int execute() throws IOException {
    try {
      return replay();
    } catch (IllegalArgumentException | IllegalStateException | VertxException e) {
      throw new CliFailure(e.getMessage());
    }
  }

  private int replay() throws IOException {
    Trace t = TraceReader.read(trace != null ? trace : SharedData.dir().resolve("azure2019").resolve("sample100-8h"));
    SpikeBench.Plan plan = SpikeBench.plan(t, function, before != null ? before : quick ? 2 : 6, after != null ? after : quick ? 0 : 4,
        secondsPerMinute, peakRate, seed);
    long timeoutMs = 1000L * (callTimeoutS != null ? callTimeoutS : quick ? 15 : 60);
    double tail = tailS != null ? tailS : quick ? 10 : 12;
    double maxTail = Math.max(tail, maxTailS != null ? maxTailS : quick ? 20 : 60);
    Vertx vertx = Vertx.vertx();
    try {
      SpikeBench.run(vertx, t, plan, policies,
          SpikeBench.imageDeploy(imageDir != null ? imageDir : SharedData.dir().resolve("images"), idleTimeoutS, ioMs),
          new LoadOptions(maxInFlight, timeoutMs, 250, Math.round(tail * 1000), Math.round(maxTail * 1000), !noProgress), out,
          serverArgs, System.out);
      System.out.println("output: " + out.toAbsolutePath());
      return 0;
    } finally {
      vertx.close().await();
    }
  }
}
