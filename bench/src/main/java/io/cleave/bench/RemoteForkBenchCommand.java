package io.cleave.bench;

import io.cleave.client.CliFailure;
import io.cleave.client.TextTable;
import io.cleave.client.UserCommand;
import io.cleave.bench.replay.SharedData;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cleave bench remote-fork}: the fork primitive's own benchmark ({@code make -C kmod bench},
 * owned by kmod/: two network namespaces, page server, restorer, cold starts), its output on
 * stderr as it runs, then its {@code summary.json} as a table.
 */
@Command(
    name = "remote-fork",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Remote fork against cold start for a hello and an image (numpy + PIL) Python seed: runs the fork primitive's",
      "benchmark (make -C kmod bench: page server and restorers in two network namespaces joined by veth) and prints",
      "its summary.json as a table, time to first response p50 / p90 with ratios against cold from the same run."
    })
public final class RemoteForkBenchCommand extends UserCommand {
  /** The variants kmod's summary reports, in its order, with what each means. */
  static final List<String[]> VARIANTS = List.of(
      new String[] {"remote_fork", "remote fork (lazy + prefetch + node cache)"},
      new String[] {"lazy_prefetch", "remote fork, lazy + prefetch, no cache"},
      new String[] {"lazy_cache", "remote fork, lazy + node cache"},
      new String[] {"lazy", "remote fork, lazy only, no cache"},
      new String[] {"eager", "remote fork, eager"},
      new String[] {"restore_file", "restore from checkpoint file"},
      new String[] {"cold", "cold start"});

  @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE})")
  Path out = Path.of("bench-out", "remote-fork");

  @Option(names = "--runs", paramLabel = "N", description = "Runs per remote-fork variant, a multiple of 5 (default: kmod's, 40)")
  Integer runs;

  @Option(names = "--cold-runs", paramLabel = "N", description = "Runs per cold-start variant, a multiple of 5 (default: kmod's, 15)")
  Integer coldRuns;

  @Override
  protected int execute() throws IOException {
    checkRuns("--runs", runs);
    checkRuns("--cold-runs", coldRuns);
    Path kmod = SharedData.home().resolve("kmod");
    if (!Files.isRegularFile(kmod.resolve("Makefile"))) {
      throw new CliFailure("no kmod/Makefile under " + SharedData.home() + " (set CLEAVE_HOME to the repository)");
    }
    Path dir = out.toAbsolutePath();
    Files.createDirectories(dir);
    ProcessBuilder pb = new ProcessBuilder("make", "-C", kmod.toString(), "bench", "OUT=" + dir)
        .redirectErrorStream(true);
    if (runs != null) {
      pb.environment().put("N", runs.toString());
    }
    if (coldRuns != null) {
      pb.environment().put("NCOLD", coldRuns.toString());
    }
    System.err.println("running make -C " + kmod + " bench OUT=" + dir);
    Process p = pb.start();
    // make's own output is progress: it goes to stderr, the table alone to stdout.
    try (InputStream in = p.getInputStream()) {
      in.transferTo(System.err);
    }
    int status;
    try {
      status = p.waitFor();
    } catch (InterruptedException e) {
      p.destroy();
      Thread.currentThread().interrupt();
      throw new CliFailure("interrupted");
    }
    if (status != 0) {
      throw new CliFailure("make -C " + kmod + " bench failed (exit " + status + "); its output is above");
    }
    Path summary = dir.resolve("summary.json");
    if (!Files.isRegularFile(summary)) {
      throw new CliFailure("the kmod benchmark wrote no " + summary);
    }
    JsonObject s;
    try {
      s = new JsonObject(Files.readString(summary, StandardCharsets.UTF_8));
    } catch (DecodeException e) {
      throw new CliFailure(summary + " is not JSON: " + e.getMessage());
    }
    System.out.println();
    print(s, System.out);
    System.out.println("output: " + dir);
    return 0;
  }

  private static void checkRuns(String flag, Integer n) {
    if (n != null && (n < 5 || n % 5 != 0)) {
      throw new CliFailure(flag + " must be a positive multiple of 5, got " + n);
    }
  }

  /** The summary as a table: one row per variant, hello and image side by side. */
  static void print(JsonObject s, PrintStream out) {
    JsonObject hello = s.getJsonObject("hello", new JsonObject());
    JsonObject image = s.getJsonObject("image", new JsonObject());
    TextTable t = new TextTable("time to first response (ms)", "hello p50 / p90", "cold p50 / it", "image p50 / p90", "cold p50 / it");
    for (String[] v : VARIANTS) {
      if (!hello.containsKey(v[0] + "_p50_ms") && !image.containsKey(v[0] + "_p50_ms")) {
        continue;
      }
      t.row(v[1], pair(hello, v[0]), speedup(hello, v[0]), pair(image, v[0]), speedup(image, v[0]));
    }
    t.print(out);
    for (String kind : List.of("hello", "image")) {
      JsonObject k = s.getJsonObject(kind, new JsonObject());
      if (k.getValue("pages_fetched") != null) {
        out.printf(Locale.ROOT, "%s: lazy paging fetched %s of %s resident pages of the seed%n", kind,
            k.getValue("pages_fetched"), k.getValue("seed_rss_pages"));
      }
    }
    JsonObject resume = s.getJsonObject("resume_first_instruction", new JsonObject());
    if (!resume.isEmpty()) {
      StringBuilder b = new StringBuilder("resume to first instruction (C seed, 64 MiB heap), p50 ms:");
      resume.forEach(e -> b.append(' ').append(e.getKey().replace("_p50_ms", "")).append(' ').append(e.getValue()));
      out.println(b);
    }
    JsonArray prepare = s.getJsonArray("prepare", new JsonArray());
    if (!prepare.isEmpty()) {
      StringBuilder b = new StringBuilder("prepare (snapshot) time against seed RSS:");
      for (Object o : prepare) {
        JsonObject p = (JsonObject) o;
        b.append(String.format(Locale.ROOT, " %d MiB %.1f ms;", p.getLong("rss_bytes", 0L) >> 20, p.getDouble("prepare_ms", Double.NaN)));
      }
      out.println(b.substring(0, b.length() - 1));
    }
  }

  private static String pair(JsonObject kind, String variant) {
    Object p50 = kind.getValue(variant + "_p50_ms");
    Object p90 = kind.getValue(variant + "_p90_ms");
    return p50 == null ? "-" : p50 + " / " + (p90 == null ? "-" : p90);
  }

  private static String speedup(JsonObject kind, String variant) {
    if (variant.equals("cold")) {
      return kind.getValue("cold_p50_ms") == null ? "-" : "1";
    }
    Object r = kind.getValue("cold_over_" + variant);
    return r == null ? "-" : r.toString();
  }
}
