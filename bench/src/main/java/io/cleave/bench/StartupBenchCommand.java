package io.cleave.bench;

import io.cleave.bench.replay.BenchOptions;
import io.cleave.bench.replay.ExperimentCommand;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cleave bench startup}: cold, warm and fork starts, memory and fork rate, hello and image functions. */
@Command(
    name = "startup",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "How fast instances start, for a hello function and an image function (numpy + PIL) side by side: cold, warm",
      "and fork calls through the gateway (each policy on a fresh `cleave server`), the pure start cost in forkd,",
      "memory per instance and per seed (PSS), instances per second forked from one seed at 1..N concurrent orders.",
      "Writes summary.json, CSVs and PNGs; prints a table shaped like MITOSIS's Table 1 with ratios against cold.",
      "With --runtime java: Fn's Java hello on JVM seeds (cold JVM, cold with AppCDS, warm, new instance in a",
      "running seed, memory per extra instance), into summary.json's \"java\" object."
    })
public final class StartupBenchCommand extends ExperimentCommand {
  @Option(names = "--quick", description = "A short run (about 30 s on an idle 2-core machine, longer under load)")
  boolean quick;

  @Option(names = "--runtime", paramLabel = "python|java", defaultValue = "python",
      description = "Whose start-up to measure: the Python functions (default) or Fn's Java hello on JVM seeds")
  String runtime;

  @Mixin BenchOptions.OutputDir out = new BenchOptions.OutputDir(Path.of("bench-out", "startup"));
  @Mixin BenchOptions.ImageDir images;

  @Option(names = "--cold-calls", paramLabel = "N", description = "Cold calls per function (default: 20, 4 with --quick)")
  Integer coldCalls;

  @Option(names = "--warm-calls", paramLabel = "N", description = "Warm calls per function, each paired with a direct call (default: 500, 50 with --quick)")
  Integer warmCalls;

  @Option(names = "--warmup", paramLabel = "N", description = "Uncounted calls first, per function and kind (default: 200, 20 with --quick)")
  Integer warmup;

  @Option(names = "--fork-rounds", paramLabel = "N", description = "Bursts under the fork policy (default: 20, 3 with --quick)")
  Integer forkRounds;

  @Option(names = "--fork-burst", paramLabel = "N", description = "Concurrent calls per burst (default: 2)")
  Integer forkBurst;

  @Option(names = "--forkd-starts", paramLabel = "N", description = "Cold starts and forks ordered from forkd directly (default: 40, 6 with --quick)")
  Integer forkdStarts;

  @Option(names = "--memory-group", paramLabel = "N", description = "Instances alive side by side when memory is read (default: 8, 3 with --quick)")
  Integer memoryGroup;

  @Option(names = "--max-concurrency", paramLabel = "N", description = "Most fork orders outstanding in the fork-rate test (default: 16, 8 with --quick)")
  Integer maxConcurrency;

  @Option(names = "--forks-per-level", paramLabel = "N", description = "Forks per concurrency level (default: 96, 16 with --quick)")
  Integer forksPerLevel;

  @Option(names = "--fork-ahead", paramLabel = "N", description = "The fork-policy server's --fork-ahead: children each seed keeps parked (default: 2)")
  Integer forkAhead;

  @Option(names = "--warm-connections", paramLabel = "N", description = "Keep-alive connections of the warm-throughput run (default: 4)")
  Integer warmConnections;

  @Option(names = "--warm-seconds", paramLabel = "S", description = "Length of the warm-throughput run (default: 10, 3 with --quick)")
  Double warmSeconds;

  @Mixin BenchOptions.ServerArgs servers;
  @Mixin BenchOptions.Progress progress;

  @Override
  protected int run() throws IOException {
    if (!runtime.equals("python") && !runtime.equals("java")) {
      throw new IllegalArgumentException("--runtime must be python or java, got '" + runtime + "'");
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    try {
      StartupBenchProgress shown = new StartupBenchProgress(System.err, progress.shown());
      String table = runtime.equals("java")
          ? new JavaStartupBench(vertx, javaSettings(), out.dir(), servers.args(), shown).run().table()
          : new StartupBench(vertx, settings(), out.dir(), servers.args(), shown).run().table();
      System.out.println();
      System.out.print(table);
      System.out.println("output: " + out.dir().toAbsolutePath());
      return 0;
    } finally {
      vertx.close().await();
    }
  }

  StartupBench.Settings settings() {
    Path images = this.images.dir();
    StartupBench.Settings d = quick ? StartupBench.Settings.quick(images) : StartupBench.Settings.full(images);
    return new StartupBench.Settings(
        or(coldCalls, d.coldCalls()), or(warmCalls, d.warmCalls()), or(warmup, d.warmup()), or(forkRounds, d.forkRounds()),
        or(forkBurst, d.forkBurst()), or(forkdStarts, d.forkdStarts()), or(memoryGroup, d.memoryGroup()),
        or(maxConcurrency, d.maxConcurrency()), or(forksPerLevel, d.forksPerLevel()), or(forkAhead, d.forkAhead()),
        or(warmConnections, d.warmConnections()), warmSeconds != null ? warmSeconds : d.warmSeconds(),
        images.toAbsolutePath());
  }

  /**
   * The Java run's counts: --cold-calls, --warm-calls, --warmup, --fork-rounds (instance rounds),
   * --memory-group, --fork-ahead (instances each JVM seed keeps started ahead).
   */
  JavaStartupBench.Settings javaSettings() {
    JavaStartupBench.Settings d = quick ? JavaStartupBench.Settings.quick() : JavaStartupBench.Settings.full();
    return new JavaStartupBench.Settings(or(coldCalls, d.coldCalls()), or(warmCalls, d.warmCalls()),
        or(warmup, d.warmup()), or(forkRounds, d.instanceRounds()), or(memoryGroup, d.memoryGroup()),
        or(forkAhead, d.ahead()));
  }

  private static int or(Integer given, int preset) {
    return given != null ? given : preset;
  }
}
