package io.cleave.bench;

import io.cleave.bench.StartupBenchReport.StartMetric;
import io.cleave.bench.replay.LatencyStats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The startup benchmark's PNGs (XChart, rendered headless). */
final class StartupBenchCharts {
  private static final int WIDTH = 1000;
  private static final int HEIGHT = 600;
  /** Log axes need positive values; anything below this is drawn at it. */
  private static final double FLOOR_MS = 0.001;

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private StartupBenchCharts() {}

  /** Bars of start latency p50 and p99 per start mode, one pair of series per function, log scale. */
  static void latency(Path file, List<StartupBenchFigures> functions) throws IOException {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Start latency as a call sees it (end-to-end minus the direct call), by start mode")
        .xAxisTitle("start mode").yAxisTitle("ms (log scale)").build();
    chart.getStyler().setLabelsVisible(true).setDecimalPattern("#,##0.##");
    chart.getStyler().setYAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.InsideNE).setAntiAlias(true);
    List<String> modes = new ArrayList<>();
    for (StartMetric m : StartMetric.values()) {
      modes.add(m.mode);
    }
    double smallest = Double.MAX_VALUE;
    for (StartupBenchFigures f : functions) {
      List<Double> p50 = new ArrayList<>();
      List<Double> p99 = new ArrayList<>();
      for (StartMetric m : StartMetric.values()) {
        LatencyStats s = StartupBenchReport.startStats(f, m);
        p50.add(drawable(s.count() == 0 ? FLOOR_MS : s.p50()));
        p99.add(drawable(s.count() == 0 ? FLOOR_MS : s.p99()));
      }
      for (double v : p50) {
        smallest = Math.min(smallest, v);
      }
      chart.addSeries(f.function().label() + " p50", modes, p50);
      chart.addSeries(f.function().label() + " p99", modes, p99);
    }
    // XChart draws bars on a log axis only from an explicit minimum: the power of ten below the smallest bar.
    chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(Math.min(smallest, 1.0)))));
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static double drawable(double v) {
    return Double.isNaN(v) ? FLOOR_MS : Math.max(FLOOR_MS, v);
  }

  /** Instances per second forked from one seed against fork orders outstanding, one line per function. */
  static void forkRate(Path file, List<StartupBenchFigures> functions) throws IOException {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Instances forked per second from one seed (through forkd's RPC)")
        .xAxisTitle("fork orders outstanding").yAxisTitle("instances / s").build();
    chart.getStyler().setYAxisMin(0.0).setLegendPosition(Styler.LegendPosition.InsideNW).setAntiAlias(true);
    boolean any = false;
    for (StartupBenchFigures f : functions) {
      List<StartupBenchFigures.Rate> rates = f.rates();
      if (rates.isEmpty()) {
        continue;
      }
      double[] x = rates.stream().mapToDouble(StartupBenchFigures.Rate::concurrency).toArray();
      double[] y = rates.stream().mapToDouble(StartupBenchFigures.Rate::perSecond).toArray();
      chart.addSeries(f.function().label(), x, y).setMarker(SeriesMarkers.CIRCLE);
      any = true;
    }
    if (!any) {
      chart.setTitle(chart.getTitle() + " (no data)");
      chart.addSeries("none", new double[] {1, 2}, new double[] {0, 0}).setMarker(SeriesMarkers.NONE);
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
