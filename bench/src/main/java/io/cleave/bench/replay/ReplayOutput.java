package io.cleave.bench.replay;

import io.cleave.bench.replay.CallRecord.Outcome;
import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes a replay's output directory: calls.csv, timeseries.csv, summary.json and the PNG plots. */
public final class ReplayOutput {
  public static final String CALLS = "calls.csv";
  public static final String TIMESERIES = "timeseries.csv";
  public static final String SUMMARY = "summary.json";
  public static final String LATENCY_CDF = "latency_cdf.png";
  public static final String LATENCY_OVER_TIME = "latency_over_time.png";
  public static final String INSTANCES_MEMORY = "instances_memory.png";
  public static final List<String> FILES = List.of(CALLS, TIMESERIES, SUMMARY, LATENCY_CDF, LATENCY_OVER_TIME, INSTANCES_MEMORY);

  private ReplayOutput() {}

  static void write(Path dir, String label, List<DeployedFunction> fns, List<CallRecord> calls, List<MetricsSample> samples,
      JsonObject summary) throws IOException {
    Files.createDirectories(dir);
    writeCalls(dir.resolve(CALLS), fns, calls);
    writeTimeseries(dir.resolve(TIMESERIES), samples);
    Files.writeString(dir.resolve(SUMMARY), summary.encodePrettily() + "\n", StandardCharsets.UTF_8);

    Map<String, double[]> cdf = new LinkedHashMap<>();
    cdf.put("all", calls.stream().filter(c -> c.outcome() == Outcome.OK).mapToDouble(CallRecord::latencyMs).toArray());
    Map<String, double[][]> overTime = new LinkedHashMap<>();
    for (String mode : calls.stream().filter(c -> c.outcome() == Outcome.OK).map(ReplaySummary::mode).distinct().sorted().toList()) {
      List<CallRecord> of = calls.stream().filter(c -> c.outcome() == Outcome.OK && ReplaySummary.mode(c).equals(mode)).toList();
      cdf.put(mode, of.stream().mapToDouble(CallRecord::latencyMs).toArray());
      overTime.put(mode, xy(of));
    }
    List<CallRecord> failed = calls.stream().filter(c -> c.outcome() == Outcome.ERROR).toList();
    if (!failed.isEmpty()) {
      overTime.put("errors", xy(failed));
    }
    ReplayPlots.latencyCdf(dir.resolve(LATENCY_CDF), "Latency CDF by start mode: " + label, cdf);
    ReplayPlots.latencyOverTime(dir.resolve(LATENCY_OVER_TIME), "Latency over time: " + label, overTime);
    ReplayPlots.instancesAndMemory(dir.resolve(INSTANCES_MEMORY), "Instances and memory: " + label, samples);
  }

  private static double[][] xy(List<CallRecord> calls) {
    return new double[][] {
      calls.stream().mapToDouble(c -> c.scheduledMicros() / 1e6).toArray(),
      calls.stream().mapToDouble(CallRecord::latencyMs).toArray()
    };
  }

  private static void writeCalls(Path file, List<DeployedFunction> fns, List<CallRecord> calls) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("time_s,function,fn_name,trace_minute,latency_ms,status,outcome,start_mode,send_lag_ms,call_id,error\n");
      for (CallRecord c : calls) {
        DeployedFunction f = fns.get(c.function());
        w.write(String.format(Locale.ROOT, "%.6f,%s,%s,%d,%s,%d,%s,%s,%.3f,%s,%s%n",
            c.scheduledMicros() / 1e6, f.trace().shortId(), f.name(), c.minute(),
            Double.isNaN(c.latencyMs()) ? "" : String.format(Locale.ROOT, "%.3f", c.latencyMs()),
            c.httpStatus(), c.outcome().wireName(), c.startMode(), c.sendLagMicros() / 1000.0, c.callId(), csv(c.error())));
      }
    }
  }

  private static void writeTimeseries(Path file, List<MetricsSample> samples) throws IOException {
    double mb = 1024.0 * 1024.0;
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("time_s,instances,starting,idle,busy,seeds,instance_memory_mb,seed_memory_mb,memory_mb\n");
      for (MetricsSample s : samples) {
        w.write(String.format(Locale.ROOT, "%.3f,%.0f,%.0f,%.0f,%.0f,%.0f,%.3f,%.3f,%.3f%n",
            s.elapsedMs() / 1000.0, s.instances(), s.starting(), s.idle(), s.busy(), s.seeds(),
            s.instanceMemoryBytes() / mb, s.seedMemoryBytes() / mb, s.memoryBytes() / mb));
      }
    }
  }

  private static String csv(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
