package io.cleave.bench.replay;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A CSV file read by its header: columns are found by name, never by position. */
final class CsvTable {
  private final Path file;
  private final List<String> header;
  private final Map<String, Integer> index = new HashMap<>();

  private CsvTable(Path file, List<String> header) {
    this.file = file;
    this.header = header;
    for (int i = 0; i < header.size(); i++) {
      index.putIfAbsent(header.get(i).trim(), i);
    }
  }

  /** Reads only the header line. */
  static CsvTable open(Path file) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String first = in.readLine();
      if (first == null) {
        throw new TraceFormatException(file + ": empty file, expected a CSV header");
      }
      if (first.startsWith("\uFEFF")) {
        first = first.substring(1);
      }
      return new CsvTable(file, split(first));
    }
  }

  List<String> header() {
    return header;
  }

  boolean has(String column) {
    return index.containsKey(column);
  }

  /** The position of a required column. */
  int column(String name) {
    Integer i = index.get(name);
    if (i == null) {
      throw new TraceFormatException(file + ": missing column '" + name + "' (header: " + String.join(",", header) + ")");
    }
    return i;
  }

  Path file() {
    return file;
  }

  /** Streams the data rows; {@code rowConsumer} gets the fields and the 2-based line number. */
  void rows(RowConsumer rowConsumer) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      in.readLine();
      String line;
      int lineNo = 1;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        List<String> fields = split(line);
        if (fields.size() < header.size()) {
          throw new TraceFormatException(
              file + ":" + lineNo + ": " + fields.size() + " fields, the header has " + header.size());
        }
        rowConsumer.accept(new Row(file, lineNo, fields));
      }
    }
  }

  interface RowConsumer {
    void accept(Row row) throws IOException;
  }

  /** One data row with typed accessors that name the file and line on bad input. */
  record Row(Path file, int line, List<String> fields) {
    String text(int column) {
      return fields.get(column).trim();
    }

    double number(int column) {
      String s = text(column);
      try {
        return Double.parseDouble(s);
      } catch (NumberFormatException e) {
        throw new TraceFormatException(file + ":" + line + ": column " + (column + 1) + " is not a number: '" + s + "'");
      }
    }

    int count(int column) {
      double v = number(column);
      if (v < 0 || v != Math.rint(v) || v > Integer.MAX_VALUE) {
        throw new TraceFormatException(file + ":" + line + ": column " + (column + 1) + " is not a count: '" + text(column) + "'");
      }
      return (int) v;
    }
  }

  /** Splits one CSV line (RFC 4180 quoting, no embedded newlines: the trace files have none). */
  static List<String> split(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(field.toString());
        field.setLength(0);
      } else if (c != '\r') {
        field.append(c);
      }
    }
    out.add(field.toString());
    return out;
  }
}
