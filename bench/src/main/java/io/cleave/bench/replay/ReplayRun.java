package io.cleave.bench.replay;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.bench.BundledImages;
import io.cleave.bench.replay.CallRecord.Outcome;
import io.cleave.client.CliFailure;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.TimedCalls;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One replay against one server or a cluster's nodes: deploy the functions (through node 1), drive
 * the schedule open-loop through every node's gateway in turn while sampling every node's
 * {@code /metrics} (summed), complete start modes from activation records where the answer had none, write
 * the output directory and (unless kept) remove the deployed functions. Blocks the calling thread,
 * which must not be a Vert.x event loop.
 */
public final class ReplayRun {
  /** A finished run. */
  public record Result(String label, Path dir, JsonObject summary, List<CallRecord> calls, List<MetricsSample> samples) {}

  private final Vertx vertx;
  private final PrintStream log;

  public ReplayRun(Vertx vertx, PrintStream log) {
    this.vertx = vertx;
    this.log = log;
  }

  /**
   * {@code nodes}: each node's API and gateway URL, node 1 first; one for a standalone server.
   * {@code apiKey}: an admin key of theirs (the run creates an app and reads /metrics).
   */
  public Result run(List<URI> nodes, String apiKey, String label, Schedule schedule, DeployOptions deploy, LoadOptions load,
      ReplayWindow window, Path dir, JsonObject extraHeader) throws IOException {
    List<PlatformClient> apis = nodes.stream().map(u -> new PlatformClient(u.toString(), apiKey)).toList();
    PlatformClient api = apis.get(0);
    List<TimedCalls> gateways = new ArrayList<>();
    try {
      for (URI node : nodes) {
        gateways.add(new TimedCalls(vertx, node, load.maxInFlight(), apiKey));
      }
      String appName = "replay-" + suffix();
      String target = nodes.size() == 1 ? nodes.get(0).toString() : nodes.size() + " nodes " + nodes;
      log.printf("[%s] deploying %d function(s) in app %s on %s%n", label, schedule.trace().functions().size(), appName, target);
      String appId = JsonText.text(api.createApp(JsonText.object().put("name", appName)), "id");
      List<DeployedFunction> fns = deploy(api, appId, schedule, deploy);
      try {
        log.printf("[%s] replaying %d calls over %.1f s%n", label, schedule.calls().size(), schedule.lengthMicros() / 1e6);
        MetricsSampler sampler = new MetricsSampler(vertx, apis, load.sampleMs());
        OpenLoopDriver driver = new OpenLoopDriver(vertx, gateways, fns, schedule, body(fns, deploy), load.maxInFlight(),
            load.callTimeoutMs(), load.progress() ? new ProgressLine(System.err, label) : null);
        String loadBefore = loadAverage();
        long origin = System.nanoTime();
        sampler.start(origin);
        List<CallRecord> records = driver.run(origin).await();
        if (load.tailMs() > 0) {
          tail(label, sampler, load.tailMs(), load.maxTailMs());
        }
        List<MetricsSample> samples = sampler.stop();
        if (samples.isEmpty()) {
          log.printf("[%s] warning: no /metrics sample could be read (%s); instances and memory are unknown%n",
              label, sampler.lastFailure());
        }
        records = completeStartModes(apis, records);
        JsonObject header = header(label, nodes, schedule, fns, deploy, load, extraHeader)
            .put("metrics_failures", sampler.failures())
            .put("machine", new JsonObject()
                .put("cores", Runtime.getRuntime().availableProcessors())
                .put("load_average_before", loadBefore)
                .put("load_average_after", loadAverage()));
        JsonObject summary = ReplaySummary.of(header, records, samples, window);
        ReplayOutput.write(dir, label, fns, records, samples, summary);
        return new Result(label, dir, summary, records, samples);
      } finally {
        if (!deploy.keep()) {
          remove(api, appId, fns);
        }
      }
    } finally {
      gateways.forEach(TimedCalls::close);
    }
  }

  private List<DeployedFunction> deploy(PlatformClient api, String appId, Schedule schedule, DeployOptions options)
      throws IOException {
    Map<Workload, byte[]> bundles = new EnumMap<>(Workload.class);
    List<DeployedFunction> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<TraceFunction> functions = schedule.trace().functions();
    for (int i = 0; i < functions.size(); i++) {
      TraceFunction tf = functions.get(i);
      Workload w = options.workloadOf(tf);
      int index = i;
      // From the trace's highest allocation percentile, so the limit covers every draw of any window.
      int touched = Schedule.highestMemoryMb(tf, schedule.options());
      long longest = schedule.calls().stream().filter(c -> c.function() == index).mapToLong(PlannedCall::durationMs).max().orElse(0);
      int timeoutS = (int) Math.min(300, Math.max(30, longest / 1000 + 30));
      String name = w.dirName() + "-" + tf.shortId();
      if (!names.add(name)) {
        name = name + "-" + i;
        names.add(name);
      }
      int memory = w.memoryLimitMb(touched);
      String fnId = api.deploy(appId, name, memory, timeoutS, options.idleTimeoutS(), config(w, tf, schedule.options(), options),
          bundles.computeIfAbsent(w, k -> k.bundle(options.imageDir())));
      out.add(new DeployedFunction(tf, fnId, name, w, memory));
    }
    return out;
  }

  private static Map<String, String> config(Workload w, TraceFunction tf, ScheduleOptions s, DeployOptions d) {
    return switch (w) {
      case TRACE -> Map.of(
          "TRACE_DURATION_MS", String.valueOf(tf.durationMs().isEmpty() ? s.defaultDurationMs() : Math.round(tf.durationMs().at(50))),
          "TRACE_MEMORY_MB", String.valueOf(tf.memoryMb().isEmpty() ? s.defaultMemoryMb() : (int) Math.ceil(tf.memoryMb().at(50))),
          "TRACE_BUSY", String.valueOf(d.busy()));
      case IMAGE -> Map.of("IMAGE_DIR", BundledImages.INSIDE);
    };
  }

  private static Function<PlannedCall, Buffer> body(List<DeployedFunction> fns, DeployOptions d) {
    String image = new JsonObject().put("image", 0).put("size", d.imageSize()).put("io_ms", d.imageIoMs()).encode();
    return call -> switch (fns.get(call.function()).workload()) {
      case TRACE -> Buffer.buffer(String.format(Locale.ROOT, "{\"duration_ms\":%d,\"memory_mb\":%d,\"busy\":%b}",
          call.durationMs(), call.memoryMb(), d.busy()));
      case IMAGE -> Buffer.buffer(image);
    };
  }

  /**
   * Start modes the answers did not carry come from the activation records; each node keeps the
   * records of the calls it ran, so every node is asked until one has it.
   */
  private List<CallRecord> completeStartModes(List<PlatformClient> apis, List<CallRecord> calls) {
    List<CallRecord> out = new ArrayList<>(calls);
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < out.size(); i++) {
      CallRecord c = out.get(i);
      if (c.outcome() == Outcome.OK && c.startMode().isEmpty() && !c.callId().isEmpty()) {
        missing.add(i);
      }
    }
    if (missing.isEmpty()) {
      return out;
    }
    log.printf("reading %d start modes from activation records%n", missing.size());
    for (int i : missing) {
      for (PlatformClient api : apis) {
        try {
          Optional<JsonNode> found = api.findActivation(out.get(i).callId()).filter(a -> a.hasNonNull("start_mode"));
          if (found.isPresent()) {
            out.set(i, out.get(i).withStartMode(found.get().get("start_mode").asText()));
            break;
          }
        } catch (CliFailure | IOException e) {
          // this node cannot tell; the next may, else the mode stays unknown and the record says so
        }
      }
    }
    return out;
  }

  private void remove(PlatformClient api, String appId, List<DeployedFunction> fns) {
    try {
      for (DeployedFunction f : fns) {
        api.deleteFn(f.fnId());
      }
      api.deleteApp(appId);
    } catch (RuntimeException | IOException e) {
      log.println("warning: could not remove the replay's functions: " + e.getMessage());
    }
  }

  private static JsonObject header(String label, List<URI> nodes, Schedule schedule, List<DeployedFunction> fns, DeployOptions deploy,
      LoadOptions load, JsonObject extra) {
    ScheduleOptions o = schedule.options();
    JsonArray functions = new JsonArray();
    for (int i = 0; i < fns.size(); i++) {
      DeployedFunction f = fns.get(i);
      int index = i;
      functions.add(new JsonObject()
          .put("hash", f.trace().function())
          .put("trigger", f.trace().trigger())
          .put("name", f.name())
          .put("fn_id", f.fnId())
          .put("workload", f.workload().dirName())
          .put("memory_mb", f.memoryMb())
          .put("calls", schedule.calls().stream().filter(c -> c.function() == index).count()));
    }
    JsonObject h = new JsonObject()
        .put("label", label)
        .put("target", nodes.get(0).toString())
        .put("gateways", new JsonArray(nodes.stream().map(URI::toString).toList()))
        .put("finished_at", Instant.now().toString())
        .put("trace", new JsonObject()
            .put("source", schedule.trace().source())
            .put("format", schedule.trace().format())
            .put("from_minute", o.fromMinute())
            .put("minutes", o.minutes())
            .put("seconds_per_minute", o.secondsPerMinute())
            .put("rate_scale", o.rateScale())
            .put("spread", o.spread().name().toLowerCase(Locale.ROOT))
            .put("seed", o.seed())
            .put("duration_scale", o.durationScale())
            .put("max_duration_ms", o.maxDurationMs())
            .put("functions", functions))
        .put("deploy", new JsonObject()
            .put("idle_timeout_s", deploy.idleTimeoutS())
            .put("busy", deploy.busy())
            .put("image_size", deploy.imageSize())
            .put("image_io_ms", deploy.imageIoMs()))
        .put("load", new JsonObject()
            .put("max_in_flight", load.maxInFlight())
            .put("call_timeout_ms", load.callTimeoutMs())
            .put("sample_ms", load.sampleMs())
            .put("tail_ms", load.tailMs())
            .put("max_tail_ms", load.maxTailMs())
            .put("length_s", schedule.lengthMicros() / 1e6));
    if (extra != null) {
      h.mergeIn(extra);
    }
    return h;
  }

  /**
   * Samples on after the last answer: at least {@code tailMs}, and while the platform is still
   * starting instances the burst asked for (their memory counts once they run), plus
   * {@code tailMs} after the last one is up; never more than {@code maxTailMs} in all.
   */
  private void tail(String label, MetricsSampler sampler, long tailMs, long maxTailMs) {
    log.printf("[%s] sampling /metrics for %.1f s more%n", label, tailMs / 1000.0);
    long deadline = System.nanoTime() + maxTailMs * 1_000_000;
    long quietSince = System.nanoTime();
    boolean waited = false;
    while (System.nanoTime() < deadline) {
      MetricsSample last = sampler.latest();
      if (last != null && last.starting() > 0) {
        if (!waited) {
          log.printf("[%s] waiting for %.0f instance(s) still starting%n", label, last.starting());
          waited = true;
        }
        quietSince = System.nanoTime();
      } else if (System.nanoTime() - quietSince >= tailMs * 1_000_000) {
        return;
      }
      pause(100);
    }
  }

  /** /proc/loadavg's first three fields: how busy the machine was apart from this run. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | ArrayIndexOutOfBoundsException e) {
      return "unknown";
    }
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String suffix() {
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    SplittableRandom r = new SplittableRandom();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      b.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return b.toString();
  }
}
