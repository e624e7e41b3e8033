package io.cleave.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * What {@code cleave bench finra} writes: {@code finra.csv} and {@code transfer.csv} (every run),
 * {@code finra.png} and {@code transfer.png} (medians), {@code finra-<mode>-last-run.json} (the last
 * FINRA run of each mode, every call's times), and {@code summary.json}: {@code
 * finra.copy_ms}, {@code finra.fork_ms}, {@code finra.speedup} (copy / fork), and {@code transfer}
 * by size label with {@code bytes}, {@code copy_ms}, {@code fork_ms} (the time the state took to reach
 * the consumer, as it measured it) and {@code copy_run_ms}, {@code fork_run_ms} (whole runs). A mode the server refused has
 * null figures and its reason in {@code fork_unavailable}; {@code machine} holds the cores, the load
 * at the start and the end, and the machine's memory costs ({@link MachineCosts}).
 */
final class FinraBenchReport {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  private FinraBenchReport() {}

  static ObjectNode write(Path dir, FinraBench.Results r, ObjectNode machine) throws IOException {
    Files.createDirectories(dir);
    StringBuilder finraCsv = new StringBuilder("mode,rules,rep,ms\n");
    r.finra().values().forEach(runs -> {
      for (int i = 0; i < runs.ms().size(); i++) {
        finraCsv.append(runs.mode()).append(',').append(r.settings().rules()).append(',').append(i + 1).append(',')
            .append(runs.ms().get(i)).append('\n');
      }
    });
    Files.writeString(dir.resolve("finra.csv"), finraCsv);
    StringBuilder transferCsv = new StringBuilder("size,bytes,mode,rep,run_ms,transfer_ms\n");
    r.transfer().forEach((label, byMode) -> byMode.values().forEach(runs -> {
      for (int i = 0; i < runs.ms().size(); i++) {
        transferCsv.append(label).append(',').append(FinraBench.SIZES.get(label)).append(',').append(runs.mode())
            .append(',').append(i + 1).append(',').append(runs.ms().get(i)).append(',')
            .append(i < runs.transferMs().size() ? String.format(Locale.ROOT, "%.2f", runs.transferMs().get(i))
                : "").append('\n');
      }
    }));
    Files.writeString(dir.resolve("transfer.csv"), transferCsv);
    ObjectNode summary = summary(r);
    summary.set("machine", machine);
    Files.write(dir.resolve("summary.json"), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(summary));
    for (var runs : r.finra().values()) {
      if (runs.lastRun() != null) { // each call's times and start mode, to see where a run's time went
        Files.write(dir.resolve("finra-" + runs.mode() + "-last-run.json"),
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(runs.lastRun()));
      }
    }
    finraChart(dir.resolve("finra.png"), r);
    transferChart(dir.resolve("transfer.png"), r);
    return summary;
  }

  static ObjectNode summary(FinraBench.Results r) {
    ObjectNode s = Json.MAPPER.createObjectNode();
    ObjectNode finra = s.putObject("finra");
    Long copy = r.finra().get("copy").median();
    Long fork = r.finra().get("fork").median();
    finra.put("rules", r.settings().rules()).put("runs", r.settings().reps()).put("parallelism", r.settings().parallelism());
    put(finra, "copy_ms", copy);
    put(finra, "fork_ms", fork);
    if (copy != null && fork != null && fork > 0) {
      finra.put("speedup", Math.round(100.0 * copy / fork) / 100.0);
    } else {
      finra.putNull("speedup");
    }
    var output = r.finra().get("copy").output();
    if (output != null) {
      finra.put("violations", output.path("violations").size()).put("trades", output.path("trades").asInt());
    }
    String refusal = r.finra().get("fork").refusal();
    if (refusal != null) {
      s.put("fork_unavailable", refusal);
    }
    ObjectNode transfer = s.putObject("transfer");
    r.transfer().forEach((label, byMode) -> {
      ObjectNode t = transfer.putObject(label).put("bytes", FinraBench.SIZES.get(label));
      put(t, "copy_ms", byMode.get("copy").transferMedian());
      put(t, "fork_ms", byMode.get("fork").transferMedian());
      put(t, "copy_run_ms", byMode.get("copy").median());
      put(t, "fork_run_ms", byMode.get("fork").median());
    });
    return s;
  }

  private static void put(ObjectNode o, String field, Long v) {
    if (v == null) {
      o.putNull(field);
    } else {
      o.put(field, v);
    }
  }

  private static void put(ObjectNode o, String field, Double v) {
    if (v == null) {
      o.putNull(field);
    } else {
      o.put(field, Math.round(v * 100) / 100.0);
    }
  }

  private static void finraChart(Path file, FinraBench.Results r) throws IOException {
    CategoryChart chart = new CategoryChartBuilder().width(800).height(500)
        .title("FINRA, " + r.settings().rules() + " audit rules: median run time by state passing")
        .xAxisTitle(r.finra().get("fork").refusal() == null ? "edge pass" : "edge pass (fork: n/a on this node)")
        .yAxisTitle("ms").build();
    chart.getStyler().setLabelsVisible(true).setLegendVisible(false).setDecimalPattern("#,##0");
    List<String> modes = new ArrayList<>();
    List<Double> ms = new ArrayList<>();
    r.finra().forEach((mode, runs) -> {
      modes.add(runs.refusal() == null ? mode : mode + " (n/a)");
      ms.add(runs.median() == null ? 0.0 : runs.median());
    });
    chart.addSeries("median", modes, ms);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static void transferChart(Path file, FinraBench.Results r) throws IOException {
    XYChart chart = new XYChartBuilder().width(800).height(500)
        .title("Two-step transfer: median time for the state to reach the consumer").xAxisTitle("payload bytes (log)")
        .yAxisTitle("ms (log)").build();
    chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true)
        .setLegendPosition(Styler.LegendPosition.InsideNW);
    for (String mode : FinraBench.MODES) {
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (Map.Entry<String, Map<String, FinraBench.Runs>> e : r.transfer().entrySet()) {
        Double median = e.getValue().get(mode).transferMedian();
        if (median != null) {
          x.add((double) FinraBench.SIZES.get(e.getKey()));
          y.add(Math.max(0.1, median));
        }
      }
      if (!x.isEmpty()) {
        chart.addSeries(mode, x, y);
      }
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
