package io.cleave.bench.replay;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The PNG plots of replays (XChart, rendered headless). */
public final class ReplayPlots {
  private static final int WIDTH = 1000;
  private static final int HEIGHT = 600;
  private static final int MAX_CDF_POINTS = 1000;
  private static final int MAX_SCATTER_POINTS = 20_000;

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private ReplayPlots() {}

  /** Latency CDFs, one series per entry (latencies in ms). */
  public static void latencyCdf(Path file, String title, Map<String, double[]> series) throws IOException {
    boolean log = spansDecades(series.values().stream().flatMapToDouble(Arrays::stream).toArray());
    XYChart chart = chart(title, log ? "latency (ms, log scale)" : "latency (ms)", "calls answered within (%)");
    chart.getStyler().setXAxisLogarithmic(log).setYAxisMin(0.0).setYAxisMax(100.0).setMarkerSize(0)
        .setLegendPosition(Styler.LegendPosition.InsideSE);
    boolean any = false;
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      double[] s = e.getValue().clone();
      if (s.length == 0) {
        continue;
      }
      Arrays.sort(s);
      int n = Math.min(MAX_CDF_POINTS, s.length);
      double[] x = new double[n + 1];
      double[] y = new double[n + 1];
      x[0] = Math.max(0.01, s[0]);
      for (int i = 1; i <= n; i++) {
        int idx = (int) Math.ceil((double) i / n * s.length) - 1;
        x[i] = Math.max(0.01, s[idx]);
        y[i] = 100.0 * (idx + 1) / s.length;
      }
      chart.addSeries(e.getKey() + " (" + s.length + ")", x, y).setMarker(SeriesMarkers.NONE);
      any = true;
    }
    save(chart, file, any);
  }

  /** Latency against send time, one scatter series per entry: {times in s, latencies in ms}. */
  public static void latencyOverTime(Path file, String title, Map<String, double[][]> series) throws IOException {
    boolean log = spansDecades(series.values().stream().flatMapToDouble(v -> Arrays.stream(v[1])).toArray());
    XYChart chart = chart(title, "scheduled time (s)", log ? "latency (ms, log scale)" : "latency (ms)");
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter).setYAxisLogarithmic(log).setMarkerSize(3);
    boolean any = false;
    for (Map.Entry<String, double[][]> e : series.entrySet()) {
      double[] t = e.getValue()[0];
      double[] l = e.getValue()[1];
      if (t.length == 0) {
        continue;
      }
      int stride = Math.max(1, (int) Math.ceil((double) t.length / MAX_SCATTER_POINTS));
      int n = (t.length + stride - 1) / stride;
      double[] x = new double[n];
      double[] y = new double[n];
      for (int i = 0, j = 0; i < t.length && j < n; i += stride, j++) {
        x[j] = t[i];
        y[j] = Math.max(0.01, l[i]);
      }
      chart.addSeries(e.getKey() + " (" + t.length + ")", x, y).setMarker(SeriesMarkers.CIRCLE);
      any = true;
    }
    save(chart, file, any);
  }

  /** Instances (left axis) and memory in MB (right axis) over time, from the metrics samples. */
  public static void instancesAndMemory(Path file, String title, List<MetricsSample> samples) throws IOException {
    XYChart chart = chart(title, "time (s)", "instances");
    chart.setYAxisGroupTitle(0, "instances / seeds");
    chart.setYAxisGroupTitle(1, "memory (MB)");
    chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right).setMarkerSize(0);
    if (!samples.isEmpty()) {
      double[] t = samples.stream().mapToDouble(s -> s.elapsedMs() / 1000.0).toArray();
      line(chart, "instances", t, samples, MetricsSample::instances, 1, 0);
      line(chart, "busy", t, samples, MetricsSample::busy, 1, 0);
      line(chart, "seeds", t, samples, MetricsSample::seeds, 1, 0);
      line(chart, "memory MB", t, samples, MetricsSample::memoryBytes, 1024.0 * 1024.0, 1);
    }
    save(chart, file, !samples.isEmpty());
  }

  /** One line per entry: {times in s, values}. */
  public static void linesOverTime(Path file, String title, String yTitle, Map<String, double[][]> series) throws IOException {
    XYChart chart = chart(title, "time (s)", yTitle);
    chart.getStyler().setMarkerSize(0);
    boolean any = false;
    for (Map.Entry<String, double[][]> e : series.entrySet()) {
      if (e.getValue()[0].length == 0) {
        continue;
      }
      chart.addSeries(e.getKey(), e.getValue()[0], e.getValue()[1]).setMarker(SeriesMarkers.NONE);
      any = true;
    }
    save(chart, file, any);
  }

  /** A log axis only pays off (and only gets tick labels) when the values span decades. */
  private static boolean spansDecades(double[] values) {
    double min = Arrays.stream(values).filter(v -> v > 0).min().orElse(1);
    double max = Arrays.stream(values).max().orElse(1);
    return max / min >= 20;
  }

  private static void line(XYChart chart, String name, double[] t, List<MetricsSample> samples,
      ToDoubleFunction<MetricsSample> f, double unit, int axis) {
    double[] y = samples.stream().mapToDouble(s -> f.applyAsDouble(s) / unit).toArray();
    XYSeries s = chart.addSeries(name, t, y);
    s.setMarker(SeriesMarkers.NONE);
    s.setYAxisGroup(axis);
  }

  private static XYChart chart(String title, String x, String y) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW).setAntiAlias(true);
    return chart;
  }

  /** Saves the chart; a chart without data still gets a file, titled so, so every run has the same outputs. */
  private static void save(XYChart chart, Path file, boolean hasData) throws IOException {
    if (!hasData) {
      chart.setTitle(chart.getTitle() + " (no data)");
      chart.getStyler().setXAxisLogarithmic(false).setYAxisLogarithmic(false);
      chart.addSeries("none", new double[] {0, 1}, new double[] {1, 1}).setMarker(SeriesMarkers.NONE);
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
