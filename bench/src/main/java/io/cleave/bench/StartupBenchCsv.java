package io.cleave.bench;

import io.cleave.bench.StartupBenchFigures.Metric;
import io.cleave.bench.replay.LatencyStats;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The start-up bench's CSV files, one row per sample, statistic, fork-rate level or memory reading. */
final class StartupBenchCsv {
  private StartupBenchCsv() {}

  static String samples(List<StartupBenchFigures> functions) {
    StringBuilder b = new StringBuilder("function,metric,index,ms\n");
    for (StartupBenchFigures f : functions) {
      for (Metric m : Metric.values()) {
        List<Double> s = f.samples(m);
        for (int i = 0; i < s.size(); i++) {
          b.append(f.function().label()).append(',').append(m.id()).append(',').append(i).append(',').append(num(s.get(i)))
              .append('\n');
        }
      }
    }
    return b.toString();
  }

  static String stats(List<StartupBenchFigures> functions) {
    StringBuilder b = new StringBuilder("function,metric,count,p50_ms,p90_ms,p99_ms,mean_ms,max_ms,meaning\n");
    for (StartupBenchFigures f : functions) {
      for (StartupBenchReport.StartMetric m : StartupBenchReport.StartMetric.values()) {
        statsRow(b, f, "start_" + m.mode, StartupBenchReport.startStats(f, m), "start latency as a call sees it: " + m.invoke.id()
            + " minus the p50 of direct_warm");
      }
      for (Metric m : Metric.values()) {
        statsRow(b, f, m.id(), f.stats(m), m.meaning());
      }
    }
    return b.toString();
  }

  private static void statsRow(StringBuilder b, StartupBenchFigures f, String id, LatencyStats s, String meaning) {
    b.append(String.join(",", f.function().label(), id, Integer.toString(s.count()), num(s.p50()), num(s.p90()),
        num(s.p99()), num(s.mean()), num(s.max()), '"' + meaning.replace("\"", "\"\"") + '"')).append('\n');
  }

  static String forkRate(List<StartupBenchFigures> functions) {
    StringBuilder b = new StringBuilder("function,concurrency,forks,seconds,instances_per_s,start_p50_ms,start_p99_ms,"
        + "cpu_ms_per_fork_forkd,cpu_ms_per_fork_seed,cpu_ms_per_fork_child,cpu_ms_per_fork_client\n");
    for (StartupBenchFigures f : functions) {
      for (StartupBenchFigures.Rate r : f.rates()) {
        LatencyStats st = LatencyStats.of(r.startMs().stream().mapToDouble(Double::doubleValue).toArray());
        Map<String, Double> cpu = r.cpuMsPerFork();
        b.append(String.join(",", f.function().label(), Integer.toString(r.concurrency()), Integer.toString(r.forks()),
            num(r.seconds()), num(r.perSecond()), num(st.p50()), num(st.p99()), num(cpu.getOrDefault("forkd", Double.NaN)),
            num(cpu.getOrDefault("seed", Double.NaN)), num(cpu.getOrDefault("child", Double.NaN)),
            num(cpu.getOrDefault("client", Double.NaN)))).append('\n');
      }
    }
    return b.toString();
  }

  static String memory(List<StartupBenchFigures> functions) {
    StringBuilder b = new StringBuilder("function,kind,alive_side_by_side,pss_mb,cgroup_mb\n");
    for (StartupBenchFigures f : functions) {
      for (StartupBenchFigures.Memory m : f.memory()) {
        b.append(String.join(",", f.function().label(), m.kind(), Integer.toString(m.alive()), num(m.pssBytes() / StartupBenchReport.MB),
            num(m.cgroupBytes() / StartupBenchReport.MB))).append('\n');
      }
    }
    return b.toString();
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
  }
}
