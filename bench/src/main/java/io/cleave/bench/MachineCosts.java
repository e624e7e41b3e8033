package io.cleave.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What this machine charges for the memory work a fork does, measured by a small probe in the
 * functions' Python ({@code /usr/bin/python3}) before a benchmark starts its servers: the time of a
 * 4 KB page fault (anonymous memory, first write) and of fork + exit + wait of a process holding 64
 * MB. Fork figures from two machines compare only with these beside them: a hypervisor that shadows
 * its guests' page tables (PVM, or a host without EPT) charged 11-16 us a page fault on the
 * machine of session 26, and every fork, copy-on-write fault and first access pays it
 * (docs/benchmarks.md, "Machines differ"). NaN when the probe could not run.
 */
public record MachineCosts(double pageFaultUs, double forkExitMs) {

  static final String PYTHON = "/usr/bin/python3";

  /**
   * The probe: 16,384 pages written once (faults) and again (the loop alone), three times, the
   * median difference per page; then 20 fork + exit + wait of itself with those pages present.
   */
  private static final String PROBE = String.join("\n",
      "import json, mmap, os, statistics, time",
      "P, N = mmap.PAGESIZE, 16384",
      "def write_each_page(m):",
      "    t = time.perf_counter()",
      "    for i in range(0, N * P, P):",
      "        m[i] = 1",
      "    return time.perf_counter() - t",
      "faults = []",
      "for _ in range(3):",
      "    m = mmap.mmap(-1, N * P)",
      "    first = write_each_page(m)",
      "    faults.append((first - write_each_page(m)) / N * 1e6)",
      "    m.close()",
      "held = mmap.mmap(-1, N * P)",
      "write_each_page(held)",
      "t = time.perf_counter()",
      "for _ in range(20):",
      "    pid = os.fork()",
      "    if pid == 0:",
      "        os._exit(0)",
      "    os.waitpid(pid, 0)",
      "print(json.dumps({'page_fault_us': statistics.median(faults),",
      "                  'fork_exit_ms': (time.perf_counter() - t) / 20 * 1e3}))");

  public static final MachineCosts UNKNOWN = new MachineCosts(Double.NaN, Double.NaN);

  /** The costs' entry in a summary's definitions: its key, then what it means. */
  public static final String DEFINED = "machine.page_fault_us / fork_exit_64mb_ms";
  public static final String DEFINITION = "the machine's cost of a 4 KB page fault (first write to anonymous memory)"
      + " and of fork + exit + wait of a process holding 64 MB, from a Python probe before the run: fork figures of two"
      + " machines compare only with these beside them";

  /** Runs the probe (a second or two; blocks the calling thread); {@link #UNKNOWN} if it fails. */
  public static MachineCosts measure() {
    try {
      Process p = new ProcessBuilder(PYTHON, "-c", PROBE).redirectErrorStream(true).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return UNKNOWN;
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.exitValue() != 0) {
        return UNKNOWN;
      }
      JsonObject j = new JsonObject(out);
      return new MachineCosts(j.getDouble("page_fault_us"), j.getDouble("fork_exit_ms"));
    } catch (IOException | RuntimeException e) {
      return UNKNOWN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return UNKNOWN;
    }
  }

  /** The 1-minute load average from /proc/loadavg, NaN when it cannot be read. */
  public static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** The line benchmarks print beside the machine's load. */
  public String line() {
    return String.format(Locale.ROOT, "machine's memory costs: 4 KB page fault %s us, fork + exit of a 64 MB process %s ms"
        + " (compare fork figures across machines with these beside them)", fixed(pageFaultUs, 2), fixed(forkExitMs, 2));
  }

  /**
   * A benchmark's {@code machine} object in summary.json: the cores, the OS, the 1-minute load
   * average at the run's start and end, and these costs (null where unknown).
   */
  public JsonObject summary(double loadAtStart, double loadAtEnd) {
    return new JsonObject().put("cores", Runtime.getRuntime().availableProcessors())
        .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
        .put("load_average_at_start", rounded(loadAtStart)).put("load_average_at_end", rounded(loadAtEnd))
        .put("page_fault_us", rounded(pageFaultUs)).put("fork_exit_64mb_ms", rounded(forkExitMs));
  }

  private static Double rounded(double v) {
    return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : null;
  }

  private static String fixed(double v, int digits) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "unknown";
  }
}
