package io.cleave.bench.replay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the two public Azure Functions trace formats.
 *
 * <ul>
 *   <li><b>2019</b> ("Serverless in the Wild"): a directory with invocations per minute per function
 *       ({@code invocations.csv} or the official {@code invocations_per_function_md.anon.dNN.csv}),
 *       duration percentiles ({@code durations.csv} / {@code function_durations_percentiles...}) and
 *       memory percentiles ({@code memory.csv} / {@code app_memory_percentiles...}, optional). Every
 *       column is found by its header name, so both memory layouts (with {@code HashFunction} after
 *       {@code HashApp}, or first) read the same. Memory joins by function when the memory file has a
 *       {@code HashFunction} column, else by owner and app (the official file is per app).
 *   <li><b>2021</b>: one CSV row per invocation, {@code app,func,end_timestamp,duration} in seconds
 *       from the trace's start. Start = end - duration; minutes count from the trace's start.
 * </ul>
 */
public final class TraceReader {
  public static final String FORMAT_2019 = "azure2019";
  public static final String FORMAT_2021 = "azure2021";

  private static final Pattern DURATION_PCT = Pattern.compile("percentile_Average_(\\d+)");
  private static final Pattern MEMORY_PCT = Pattern.compile("AverageAllocatedMb_pct(\\d+)");
  private static final Pattern DAY_SUFFIX = Pattern.compile(".*(\\.d\\d+\\.csv)$");
  private static final double[] OBSERVED_RANKS = {0, 1, 25, 50, 75, 99, 100};

  private TraceReader() {}

  /** Reads a 2019 trace directory (or its invocations file) or a 2021 per-invocation CSV file. */
  public static Trace read(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      return read2019(findOne(path, "invocations", null, true), path);
    }
    if (!Files.isRegularFile(path)) {
      throw new TraceFormatException(path + ": no such trace file or directory");
    }
    CsvTable table = CsvTable.open(path);
    if (table.has("end_timestamp") && table.has("duration") && table.has("func")) {
      return read2021(table);
    }
    if (table.has("HashFunction")) {
      return read2019(path, path.toAbsolutePath().getParent());
    }
    throw new TraceFormatException(path + ": not an Azure trace file (header: " + String.join(",", table.header()) + ")");
  }

  private static Trace read2019(Path invocationsFile, Path dir) throws IOException {
    Matcher day = DAY_SUFFIX.matcher(invocationsFile.getFileName().toString());
    String suffix = day.matches() ? day.group(1) : null;
    Path durationsFile = findOne(dir, "durations", suffix, true);
    Path memoryFile = findOne(dir, "memory", suffix, false);

    CsvTable inv = CsvTable.open(invocationsFile);
    int owner = inv.column("HashOwner");
    int app = inv.column("HashApp");
    int fn = inv.column("HashFunction");
    int trigger = inv.column("Trigger");
    List<Integer> minuteCols = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int i = 0; i < inv.header().size(); i++) {
      String name = inv.header().get(i).trim();
      if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
        minuteCols.add(i);
        labels.add(Integer.parseInt(name));
      }
    }
    if (minuteCols.isEmpty()) {
      throw new TraceFormatException(invocationsFile + ": no minute columns in the header");
    }
    for (int i = 1; i < labels.size(); i++) {
      if (labels.get(i) != labels.get(0) + i) {
        throw new TraceFormatException(invocationsFile + ": minute columns are not consecutive at '" + labels.get(i) + "'");
      }
    }
    int minutes = labels.size();

    Map<String, Percentiles> durations = percentiles(durationsFile, DURATION_PCT, false);
    Map<String, Percentiles> memory = memoryFile == null ? Map.of() : percentiles(memoryFile, MEMORY_PCT, true);

    Map<String, TraceFunction> functions = new LinkedHashMap<>();
    inv.rows(row -> {
      String o = row.text(owner);
      String a = row.text(app);
      String f = row.text(fn);
      int[] counts = new int[minutes];
      for (int i = 0; i < minutes; i++) {
        counts[i] = row.count(minuteCols.get(i));
      }
      String key = o + "/" + a + "/" + f;
      TraceFunction seen = functions.get(key);
      if (seen != null) {
        // The official files repeat a few functions (one row per trigger): their calls add up.
        for (int i = 0; i < minutes; i++) {
          counts[i] += seen.perMinute()[i];
        }
      }
      Percentiles mem = memory.getOrDefault(key, memory.getOrDefault(o + "/" + a, Percentiles.NONE));
      functions.put(key, new TraceFunction(o, a, f, row.text(trigger), counts,
          durations.getOrDefault(key, Percentiles.NONE), mem, null));
    });
    return new Trace(invocationsFile.toString(), FORMAT_2019, labels.get(0), minutes, new ArrayList<>(functions.values()));
  }

  /** Percentile rows keyed by owner/app/function, and by owner/app when {@code perApp} allows. */
  private static Map<String, Percentiles> percentiles(Path file, Pattern rankColumn, boolean perApp) throws IOException {
    CsvTable table = CsvTable.open(file);
    int owner = table.column("HashOwner");
    int app = table.column("HashApp");
    int fn = table.has("HashFunction") ? table.column("HashFunction") : -1;
    List<Integer> cols = new ArrayList<>();
    List<Double> ranks = new ArrayList<>();
    for (int i = 0; i < table.header().size(); i++) {
      Matcher m = rankColumn.matcher(table.header().get(i).trim());
      if (m.matches()) {
        cols.add(i);
        ranks.add(Double.parseDouble(m.group(1)));
      }
    }
    if (cols.isEmpty()) {
      throw new TraceFormatException(file + ": no percentile columns matching " + rankColumn.pattern());
    }
    double[] points = ranks.stream().mapToDouble(Double::doubleValue).toArray();
    Map<String, Percentiles> out = new HashMap<>();
    table.rows(row -> {
      double[] values = new double[cols.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = row.number(cols.get(i));
      }
      Percentiles p = new Percentiles(points, values);
      String appKey = row.text(owner) + "/" + row.text(app);
      if (fn >= 0) {
        out.put(appKey + "/" + row.text(fn), p);
      }
      if (perApp) {
        out.putIfAbsent(appKey, p);
      }
    });
    return out;
  }

  private static Trace read2021(CsvTable table) throws IOException {
    int app = table.column("app");
    int fn = table.column("func");
    int end = table.column("end_timestamp");
    int dur = table.column("duration");
    Map<String, List<double[]>> calls = new LinkedHashMap<>();
    Map<String, String[]> names = new HashMap<>();
    table.rows(row -> {
      double e = row.number(end);
      double d = row.number(dur);
      if (!(e >= 0) || !(d >= 0) || Double.isInfinite(e) || Double.isInfinite(d)) {
        throw new TraceFormatException(table.file() + ":" + row.line() + ": end_timestamp and duration must be non-negative seconds");
      }
      String key = row.text(app) + "/" + row.text(fn);
      names.putIfAbsent(key, new String[] {row.text(app), row.text(fn)});
      calls.computeIfAbsent(key, k -> new ArrayList<>()).add(new double[] {Math.max(0, e - d), d * 1000.0});
    });
    if (calls.isEmpty()) {
      throw new TraceFormatException(table.file() + ": no invocations");
    }
    int minutes = 1;
    for (List<double[]> list : calls.values()) {
      for (double[] c : list) {
        minutes = Math.max(minutes, (int) Math.floor(c[0] / 60.0) + 1);
      }
    }
    List<TraceFunction> functions = new ArrayList<>();
    for (Map.Entry<String, List<double[]>> e : calls.entrySet()) {
      List<double[]> list = e.getValue();
      list.sort((x, y) -> Double.compare(x[0], y[0]));
      double[] starts = new double[list.size()];
      double[] durs = new double[list.size()];
      int[] perMinute = new int[minutes];
      for (int i = 0; i < list.size(); i++) {
        starts[i] = list.get(i)[0];
        durs[i] = list.get(i)[1];
        perMinute[(int) Math.floor(starts[i] / 60.0)]++;
      }
      String[] n = names.get(e.getKey());
      functions.add(new TraceFunction("", n[0], n[1], "unknown", perMinute,
          Percentiles.of(durs, OBSERVED_RANKS), Percentiles.NONE, new Invocations(starts, durs)));
    }
    return new Trace(table.file().toString(), FORMAT_2021, 0, minutes, functions);
  }

  /** The file in {@code dir} for one role, by the short or the official name. */
  private static Path findOne(Path dir, String role, String daySuffix, boolean required) throws IOException {
    List<Path> found;
    try (Stream<Path> files = Files.list(dir)) {
      found = files.filter(p -> {
        String n = p.getFileName().toString();
        return n.endsWith(".csv") && (n.equals(role + ".csv") || officialName(n, role))
            && (daySuffix == null || n.equals(role + ".csv") || n.endsWith(daySuffix));
      }).sorted().toList();
    }
    if (found.size() > 1) {
      throw new TraceFormatException(dir + ": several " + role + " files " + found.stream().map(p -> p.getFileName().toString()).toList()
          + "; point at one day's invocations file instead");
    }
    if (found.isEmpty()) {
      if (required) {
        throw new TraceFormatException(dir + ": no " + role + " file (" + role + ".csv or the official name)");
      }
      return null;
    }
    return found.get(0);
  }

  private static boolean officialName(String name, String role) {
    return switch (role) {
      case "invocations" -> name.startsWith("invocations_per_function");
      case "durations" -> name.startsWith("function_durations");
      case "memory" -> name.startsWith("app_memory");
      default -> false;
    };
  }
}
