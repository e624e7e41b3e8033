package io.cleave.bench.replay;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The samples of a Prometheus text exposition (version 0.0.4), enough to read gauges and counters. */
public final class PrometheusText {
  record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;

  private PrometheusText(List<Sample> samples) {
    this.samples = samples;
  }

  public static PrometheusText parse(String text) {
    List<Sample> out = new ArrayList<>();
    for (String raw : text.split("\n")) {
      String line = raw.trim();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Sample s = sample(line);
      if (s != null) {
        out.add(s);
      }
    }
    return new PrometheusText(out);
  }

  private static Sample sample(String line) {
    int brace = line.indexOf('{');
    int space = line.indexOf(' ');
    String name;
    Map<String, String> labels = new LinkedHashMap<>();
    String rest;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.substring(0, brace);
      int close = labels(line, brace + 1, labels);
      if (close < 0) {
        return null;
      }
      rest = line.substring(close + 1).trim();
    } else if (space > 0) {
      name = line.substring(0, space);
      rest = line.substring(space + 1).trim();
    } else {
      return null;
    }
    String value = rest.split("\\s+")[0];
    try {
      return new Sample(name, labels, switch (value) {
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        default -> Double.parseDouble(value);
      });
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Reads {@code k="v",...} from {@code i}; answers the index of the closing brace, or -1. */
  private static int labels(String line, int i, Map<String, String> into) {
    while (i < line.length()) {
      char c = line.charAt(i);
      if (c == '}') {
        return i;
      }
      if (c == ',' || c == ' ') {
        i++;
        continue;
      }
      int eq = line.indexOf('=', i);
      if (eq < 0 || eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
        return -1;
      }
      String key = line.substring(i, eq).trim();
      StringBuilder v = new StringBuilder();
      int j = eq + 2;
      for (; j < line.length() && line.charAt(j) != '"'; j++) {
        char d = line.charAt(j);
        if (d == '\\' && j + 1 < line.length()) {
          char e = line.charAt(++j);
          v.append(e == 'n' ? '\n' : e);
        } else {
          v.append(d);
        }
      }
      into.put(key, v.toString());
      i = j + 1;
    }
    return -1;
  }

  /**
   * Sum of every sample of {@code name} whose labels include {@code label=value} (null: all). The
   * platform registers each of its gauges at start, so a sample missing here is an error (a
   * renamed metric, the wrong endpoint), not a zero.
   */
  public double sum(String name, String label, String value) {
    double total = 0;
    boolean found = false;
    for (Sample s : samples) {
      if (s.name().equals(name) && (label == null || value.equals(s.labels().get(label)))) {
        total += s.value();
        found = true;
      }
    }
    if (!found) {
      throw new IllegalStateException("no sample " + name + (label == null ? "" : "{" + label + "=\"" + value + "\"}")
          + " in /metrics");
    }
    return total;
  }
}
