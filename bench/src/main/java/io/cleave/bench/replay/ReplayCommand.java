package io.cleave.bench.replay;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave replay}: drive a Cleave server (or one fresh server per policy) with an Azure Functions trace. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    resourceBundle = "io.cleave.bench.replay.OptionDescriptions",
    description = {
      "Replays an Azure Functions trace (2019 per-minute directory, or 2021 per-invocation CSV) open-loop against Cleave.",
      "Each trace function becomes a deployed function (the trace function by default). Writes calls.csv, timeseries.csv,",
      "summary.json and PNG plots to --out; with --policies, runs once per policy on a fresh server and adds compare.csv/json."
    })
public final class ReplayCommand extends ExperimentCommand {
  private static final int CALL_TIMEOUT_S = 60;
  private static final double TAIL_S = 0;
  private static final double MAX_TAIL_S = 60;

  @Parameters(index = "0", paramLabel = "TRACE", description = "2019 trace directory (or its invocations file), or a 2021 CSV")
  Path trace;

  @Option(names = {"--url", "--api-url"}, paramLabel = "URL",
      description = "Server to replay against, already running (default: $CLEAVE_API_URL, else $FN_API_URL, else "
          + io.cleave.client.ApiEndpoint.DEFAULT_URL + ")")
  String url;

  @Option(names = "--api-key", paramLabel = "KEY",
      description = "Admin key of the --url server (default: $CLEAVE_API_KEY, else $FN_TOKEN, else the key file,"
          + " as the CLI finds it); compared servers get keys of their own")
  String apiKey;

  @Option(names = "--policies", split = ",", paramLabel = "P[,P...]",
      description = "Compare policies (cold-only, keep-alive, fork, ...): one fresh `cleave server --policy P` each; ignores --url")
  List<String> policies = new ArrayList<>();

  @Option(names = "--baseline", paramLabel = "P", description = "Policy the ratios are against (default: keep-alive if compared, else the first)")
  String baseline = "keep-alive";

  @Mixin BenchOptions.OutputDir out = new BenchOptions.OutputDir(Path.of("replay-out"));

  @ArgGroup(exclusive = true)
  Selection selection;

  static final class Selection {
    @Option(names = "--top", paramLabel = "N", description = "The N functions with the most calls in the window (default: 10)")
    Integer top;

    @Option(names = "--random", paramLabel = "N", description = "N functions chosen at random (reproducible with --seed)")
    Integer random;

    @Option(names = "--function", paramLabel = "HASH", description = "A function by hash prefix (repeatable)")
    List<String> ids;

    @Option(names = "--burstiest", description = "The function with the sharpest burst (peak >= 100 calls/min)")
    boolean burstiest;
  }

  @Option(names = "--from", paramLabel = "MINUTE", description = "First trace minute replayed, as the trace numbers it (default: the first)")
  Integer from;

  @Option(names = "--minutes", paramLabel = "N", description = "Trace minutes replayed (default: to the end)")
  Integer minutes;

  @Option(names = "--seconds-per-minute", paramLabel = "S",
      description = "Wall-clock seconds per trace minute: 60 = real time, 1 = 60x compressed (default: ${DEFAULT-VALUE})")
  double secondsPerMinute = 1.0;

  @Option(names = "--rate-scale", paramLabel = "X", description = "Factor on every minute's call count (default: ${DEFAULT-VALUE})")
  double rateScale = 1.0;

  @Option(names = "--spread", paramLabel = "HOW", description = "Calls within a minute: uniform, poisson, exact (2021 traces) (default: ${DEFAULT-VALUE})")
  String spread = "poisson";

  @Option(names = "--seed", description = "Seed for selection, arrival times and draws (default: ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(names = "--workload", paramLabel = "W", description = "What functions run: trace, image (default: ${DEFAULT-VALUE})")
  String workload = "trace";

  @Option(names = "--workload-for", paramLabel = "HASH=W", description = "Workload for one trace function (repeatable)")
  Map<String, String> workloadFor = new LinkedHashMap<>();

  @Option(names = "--duration-scale", paramLabel = "X", description = "Factor on drawn execution times (default: ${DEFAULT-VALUE})")
  double durationScale = 1.0;

  @Option(names = "--max-duration-ms", paramLabel = "MS", description = "Cap on a call's execution time (default: ${DEFAULT-VALUE})")
  long maxDurationMs = 30_000;

  @Option(names = "--busy", description = "The trace function spins on the CPU instead of sleeping for its duration")
  boolean busy;

  @Option(names = "--default-duration-ms", paramLabel = "MS", description = "Execution time where the trace has none (default: ${DEFAULT-VALUE})")
  long defaultDurationMs = 100;

  @Option(names = "--default-memory-mb", paramLabel = "MB", description = "Memory where the trace has none (default: ${DEFAULT-VALUE})")
  int defaultMemoryMb = 64;

  @Option(names = "--idle-timeout", paramLabel = "S", description = "idle_timeout of the deployed functions (default: ${DEFAULT-VALUE})")
  int idleTimeoutS = 30;

  @Mixin BenchOptions.ImageDir images;

  @Option(names = "--image-size", paramLabel = "PX", description = "Thumbnail width for the image workload (default: ${DEFAULT-VALUE})")
  int imageSize = 256;

  @Option(names = "--image-io-ms", paramLabel = "MS", description = "Image workload: wait per call standing for object-store transfers (default: ${DEFAULT-VALUE})")
  long imageIoMs = 0;

  @Mixin BenchOptions.InFlight inFlight = new BenchOptions.InFlight(CALL_TIMEOUT_S);

  @Option(names = "--sample-ms", paramLabel = "MS", description = "Period of /metrics sampling (default: ${DEFAULT-VALUE})")
  long sampleMs = 500;

  @Mixin BenchOptions.Tail tail = new BenchOptions.Tail(TAIL_S, MAX_TAIL_S);

  @Option(names = "--window", paramLabel = "MINUTE[:N]", description = "Also report trace minutes MINUTE..MINUTE+N-1 on their own (N default 1)")
  String window;

  @Mixin BenchOptions.ServerArgs servers;

  @Option(names = "--keep", description = "Leave the deployed app and functions on the server")
  boolean keep;

  @Mixin BenchOptions.Progress progress;

  @Override
  protected int run() throws IOException {
    Trace full = TraceReader.read(trace);
    int fromMinute = from != null ? from : full.firstMinute();
    int count = minutes != null ? minutes : full.firstMinute() + full.minutes() - fromMinute;
    int fromIndex = full.indexOf(fromMinute);
    full.indexOf(fromMinute + count - 1);
    Trace chosen = full.withFunctions(select(full, fromIndex, fromIndex + count));
    ScheduleOptions so = new ScheduleOptions(fromMinute, count, secondsPerMinute, rateScale, Spread.parse(spread), seed,
        durationScale, maxDurationMs, defaultDurationMs, defaultMemoryMb);
    Schedule schedule = Schedule.build(chosen, so);
    Map<String, Workload> byFunction = new LinkedHashMap<>();
    workloadFor.forEach((k, v) -> byFunction.put(k, Workload.parse(v)));
    DeployOptions deploy = new DeployOptions(Workload.parse(workload), byFunction, idleTimeoutS, busy,
        images.dir(), imageSize, imageIoMs, keep);
    LoadOptions load = new LoadOptions(inFlight.max(), inFlight.callTimeoutMs(CALL_TIMEOUT_S), sampleMs, tail.tailMs(TAIL_S),
        tail.maxTailMs(TAIL_S, MAX_TAIL_S), progress.shown());
    ReplayWindow w = window == null ? null : parseWindow(window, so);

    Vertx vertx = Vertx.vertx();
    try {
      if (policies.isEmpty()) {
        ReplayRun.Result r = new ReplayRun(vertx, System.out).run(List.of(URI.create(targetUrl())),
            io.cleave.client.ApiEndpoint.keyInEffect(apiKey), "replay", schedule, deploy, load, w,
            out.dir(), new JsonObject());
        System.out.println(Report.line(r.label(), r.summary()));
      } else {
        List<ComparisonRun.Row> rows = ComparisonRun.run(vertx, policies, baseline, schedule, deploy, load, w, out.dir(),
            PolicyServer.standalone(servers.args(), System.out), System.out);
        System.out.print(Report.table(rows, w != null));
      }
      System.out.println("output: " + out.dir().toAbsolutePath());
      return 0;
    } finally {
      vertx.close().await();
    }
  }

  private List<TraceFunction> select(Trace t, int fromIndex, int toIndex) {
    if (selection != null && selection.random != null) {
      return TraceSelection.random(t, positive(selection.random, "--random"), seed);
    }
    if (selection != null && selection.ids != null) {
      return TraceSelection.byId(t, selection.ids);
    }
    if (selection != null && selection.burstiest) {
      return List.of(TraceSelection.burstiest(t, 100).function());
    }
    int n = selection != null && selection.top != null ? positive(selection.top, "--top") : 10;
    return TraceSelection.top(t, n, fromIndex, toIndex);
  }

  private static int positive(int n, String option) {
    if (n < 1) {
      throw new IllegalArgumentException(option + " needs a positive count");
    }
    return n;
  }

  private String targetUrl() {
    for (String candidate : new String[] {url, System.getenv("CLEAVE_API_URL"), System.getenv("FN_API_URL")}) {
      if (candidate != null && !candidate.isBlank()) {
        return candidate.strip();
      }
    }
    return io.cleave.client.ApiEndpoint.DEFAULT_URL;
  }

  static ReplayWindow parseWindow(String spec, ScheduleOptions so) {
    String[] parts = spec.split(":");
    try {
      int m = Integer.parseInt(parts[0].trim());
      int n = parts.length > 1 ? Integer.parseInt(parts[1].trim()) : 1;
      return ReplayWindow.ofMinutes(String.format(Locale.ROOT, "minutes %d-%d", m, m + n - 1), so, m, n);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--window wants MINUTE or MINUTE:COUNT, got '" + spec + "'");
    }
  }
}
