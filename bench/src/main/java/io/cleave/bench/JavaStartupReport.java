package io.cleave.bench;

import io.cleave.client.TimedCalls;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Java startup benchmark's figures: the {@code java} object of {@code summary.json} (merged
 * into the file the Python run writes to the same directory), {@code java_samples.csv}, and the
 * table. Latencies are end to end through the gateway.
 */
final class JavaStartupReport {
  static final String SAMPLES_CSV = "java_samples.csv";
  static final double TARGET_INSTANCE_MS = 5.0;
  static final double TARGET_INSTANCE_VS_COLD = 20.0;
  static final double TARGET_APPCDS_CUT = 0.30;
  static final double TARGET_MEMORY_SHARE = 0.2;
  private static final double MB = 1024.0 * 1024.0;

  /** What the phases measured. */
  static final class Figures {
    final List<Double> cold = new ArrayList<>();
    final List<Double> coldAppCds = new ArrayList<>();
    final List<Double> warm = new ArrayList<>();
    final List<Double> instance = new ArrayList<>();
    /** Calls that came back with another start mode than their phase's (not counted). */
    final List<String> stray = new ArrayList<>();
    double archiveMb;
    long seedPssOne;
    long seedPssMany;
    long cgroupOne;
    long cgroupMany;
    int first;
    int group;

    void add(List<Double> into, String expectedMode, TimedCalls.Answer a) {
      if (expectedMode.equals(a.startMode())) {
        into.add(a.latencyMs());
      } else {
        stray.add(expectedMode + " phase: " + a.startMode());
      }
    }

    /** The seed read with {@code first} instances, then with {@code group}. */
    void memory(long pssFirst, long pssGroup, long cgroupFirst, long cgroupGroup, int first, int group) {
      this.seedPssOne = pssFirst;
      this.seedPssMany = pssGroup;
      this.cgroupOne = cgroupFirst;
      this.cgroupMany = cgroupGroup;
      this.first = first;
      this.group = group;
    }

    /** PSS each instance beyond the first ones adds to its seed. */
    double instanceMemoryMb() {
      return group > first ? (seedPssMany - seedPssOne) / MB / (group - first) : Double.NaN;
    }

    /** The seed's PSS with one instance: a separate JVM's. */
    double jvmMb() {
      return seedPssOne / MB - (first - 1) * instanceMemoryMb();
    }
  }

  private final Figures f;
  private final JavaStartupBench.Settings settings;
  private final double seconds;
  private final double loadBefore;
  private final double loadAfter;

  JavaStartupReport(Figures f, JavaStartupBench.Settings settings, double seconds, double loadBefore, double loadAfter) {
    this.f = f;
    this.settings = settings;
    this.seconds = seconds;
    this.loadBefore = loadBefore;
    this.loadAfter = loadAfter;
  }

  static double percentile(List<Double> samples, double p) {
    if (samples.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(samples);
    sorted.sort(null);
    return sorted.get(Math.max(0, (int) Math.ceil(p * sorted.size()) - 1));
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 100) / 100.0 : Double.NaN;
  }

  JsonObject java() {
    double cold = percentile(f.cold, 0.5);
    double cds = percentile(f.coldAppCds, 0.5);
    double instance = percentile(f.instance, 0.5);
    double jvmMb = f.jvmMb();
    JsonObject o = new JsonObject()
        .put("cold_p50_ms", round(cold)).put("cold_p99_ms", round(percentile(f.cold, 0.99)))
        .put("cold_appcds_p50_ms", round(cds)).put("cold_appcds_p99_ms", round(percentile(f.coldAppCds, 0.99)))
        .put("warm_p50_ms", round(percentile(f.warm, 0.5))).put("warm_p99_ms", round(percentile(f.warm, 0.99)))
        .put("instance_p50_ms", round(instance)).put("instance_p99_ms", round(percentile(f.instance, 0.99)))
        .put("instance_memory_mb", round(f.instanceMemoryMb()))
        .put("jvm_memory_mb", round(jvmMb))
        .put("instance_vs_cold_p50", round(cold / instance))
        .put("appcds_cut", round(1 - cds / cold))
        .put("instance_memory_share", round(f.instanceMemoryMb() / jvmMb))
        .put("appcds_archive_mb", round(f.archiveMb))
        .put("memory", new JsonObject().put("first", f.first).put("group", f.group)
            .put("seed_pss_one_mb", round(f.seedPssOne / MB)).put("seed_pss_group_mb", round(f.seedPssMany / MB))
            .put("seed_cgroup_one_mb", round(f.cgroupOne / MB)).put("seed_cgroup_group_mb", round(f.cgroupMany / MB)))
        .put("counts", new JsonObject().put("cold", f.cold.size()).put("cold_appcds", f.coldAppCds.size())
            .put("warm", f.warm.size()).put("instance", f.instance.size()))
        .put("stray_start_modes", new JsonArray(f.stray))
        .put("settings", new JsonObject().put("cold_calls", settings.coldCalls()).put("warm_calls", settings.warmCalls())
            .put("warmup", settings.warmup()).put("instance_rounds", settings.instanceRounds())
            .put("memory_group", settings.memoryGroup()).put("ahead", settings.ahead()))
        .put("seconds", round(seconds))
        .put("load_average_at_start", round(loadBefore)).put("load_average_at_end", round(loadAfter));
    o.put("targets", new JsonObject()
        .put("instance_p50_le_5ms", instance <= TARGET_INSTANCE_MS)
        .put("instance_20x_faster_than_cold", cold / instance >= TARGET_INSTANCE_VS_COLD)
        .put("appcds_cuts_cold_30pct", 1 - cds / cold >= TARGET_APPCDS_CUT)
        .put("instance_memory_le_fifth_of_jvm", f.instanceMemoryMb() / jvmMb <= TARGET_MEMORY_SHARE));
    return o;
  }

  /** Puts {@code java} into the directory's summary.json, keeping what another run (Python's) wrote there. */
  void write(Path out) throws IOException {
    Files.createDirectories(out);
    Path summary = out.resolve(StartupBenchReport.SUMMARY);
    JsonObject all = Files.isRegularFile(summary)
        ? new JsonObject(Files.readString(summary, StandardCharsets.UTF_8))
        : new JsonObject().put("benchmark", "startup");
    all.put("java", java());
    Files.writeString(summary, all.encodePrettily() + "\n", StandardCharsets.UTF_8);
    StringBuilder csv = new StringBuilder("metric,index,ms\n");
    samples(csv, "cold", f.cold);
    samples(csv, "cold_appcds", f.coldAppCds);
    samples(csv, "warm", f.warm);
    samples(csv, "instance", f.instance);
    Files.writeString(out.resolve(SAMPLES_CSV), csv.toString(), StandardCharsets.UTF_8);
  }

  private static void samples(StringBuilder csv, String metric, List<Double> values) {
    for (int i = 0; i < values.size(); i++) {
      csv.append(metric).append(',').append(i).append(',').append(String.format(Locale.ROOT, "%.3f", values.get(i)))
          .append('\n');
    }
  }

  /** The same table as the Python run's: latency per start mode through the gateway, ratios against cold. */
  String table() {
    JsonObject j = java();
    double cold = j.getDouble("cold_p50_ms");
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "Java hello (%d MB) through the gateway   p50 ms   p99 ms   vs cold JVM%n", 128));
    row(b, "cold JVM", j.getDouble("cold_p50_ms"), j.getDouble("cold_p99_ms"), cold);
    row(b, "cold JVM with AppCDS", j.getDouble("cold_appcds_p50_ms"), j.getDouble("cold_appcds_p99_ms"), cold);
    row(b, "warm", j.getDouble("warm_p50_ms"), j.getDouble("warm_p99_ms"), cold);
    row(b, "new instance in a running seed", j.getDouble("instance_p50_ms"), j.getDouble("instance_p99_ms"), cold);
    b.append(String.format(Locale.ROOT, "memory (PSS): one JVM seed with one instance %.1f MB, each extra instance %.2f MB "
        + "(%.0f%% of a JVM; %d instances)%n", j.getDouble("jvm_memory_mb"), j.getDouble("instance_memory_mb"),
        100 * j.getDouble("instance_memory_share"), f.group));
    b.append(String.format(Locale.ROOT, "AppCDS cuts the cold start by %.0f%% (archive %.1f MB)%n",
        100 * j.getDouble("appcds_cut"), f.archiveMb));
    JsonObject t = j.getJsonObject("targets");
    b.append("targets: instance p50 <= 5 ms ").append(t.getBoolean("instance_p50_le_5ms") ? "met" : "NOT met")
        .append("; >= 20x faster than cold ").append(t.getBoolean("instance_20x_faster_than_cold") ? "met" : "NOT met")
        .append("; AppCDS cuts >= 30% ").append(t.getBoolean("appcds_cuts_cold_30pct") ? "met" : "NOT met")
        .append("; extra instance <= 1/5 of a JVM ").append(t.getBoolean("instance_memory_le_fifth_of_jvm") ? "met" : "NOT met")
        .append(String.format(Locale.ROOT, "%n(load average %.1f at the start, %.1f at the end)%n", loadBefore, loadAfter));
    return b.toString();
  }

  private static void row(StringBuilder b, String label, double p50, double p99, double cold) {
    b.append(String.format(Locale.ROOT, "  %-36s %8.2f %8.2f   %6.1fx faster%n", label, p50, p99, cold / p50));
  }
}
