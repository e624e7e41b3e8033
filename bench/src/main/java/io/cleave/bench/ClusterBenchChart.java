package io.cleave.bench;

import io.cleave.bench.ClusterBenchCalls.Kind;
import io.cleave.bench.replay.LatencyStats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** The cluster benchmark's PNG: per function, end-to-end p50 and p99 of each start mode side by side (XChart, headless). */
final class ClusterBenchChart {
  private static final int WIDTH = 1000;
  private static final int HEIGHT = 600;
  /** Log axes need positive values; a mode without calls is drawn at this. */
  private static final double FLOOR_MS = 0.01;

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private ClusterBenchChart() {}

  static void startModes(Path file, ClusterBenchCalls calls, String seedNode) throws IOException {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Calls by start mode, end to end, in a cluster (" + seedNode + " holds the seeds)")
        .xAxisTitle("cold: cold-only server; local fork: on " + seedNode + "; remote fork and warm: on the other nodes")
        .yAxisTitle("ms").build();
    chart.getStyler().setLabelsVisible(true).setDecimalPattern("#,##0.#")
        .setLegendPosition(Styler.LegendPosition.InsideNE).setAntiAlias(true);
    List<String> groups = new ArrayList<>();
    for (StartupBenchFunction f : StartupBenchFunction.values()) {
      groups.add(f.label() + " p50");
      groups.add(f.label() + " p99");
    }
    double smallest = Double.MAX_VALUE;
    double largest = 0;
    for (Kind k : ClusterBenchReport.MODES) {
      List<Double> values = new ArrayList<>();
      for (StartupBenchFunction f : StartupBenchFunction.values()) {
        LatencyStats s = calls.stats(f.label(), k);
        for (double v : s.count() == 0 ? new double[] {FLOOR_MS, FLOOR_MS} : new double[] {s.p50(), s.p99()}) {
          values.add(Math.max(FLOOR_MS, v));
          if (s.count() > 0) {
            smallest = Math.min(smallest, Math.max(FLOOR_MS, v));
            largest = Math.max(largest, v);
          }
        }
      }
      chart.addSeries(k.id, groups, values);
    }
    // Cold starts and warm calls lie decades apart: then a log axis, which XChart draws for bars only
    // from an explicit minimum (the power of ten below the smallest bar).
    if (largest > 0 && largest / smallest >= 10) {
      chart.setYAxisTitle("ms (log scale)");
      chart.getStyler().setYAxisLogarithmic(true)
          .setYAxisMin(Math.pow(10, Math.floor(Math.log10(Math.min(smallest, 1.0)))));
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
