package io.cleave.client;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Column-aligned text output (like Go's tabwriter as fn uses it): header row, then rows. */
public final class TextTable {
  private static final int GAP = 3;
  private final List<String[]> rows = new ArrayList<>();

  public TextTable(String... header) {
    rows.add(header);
  }

  public TextTable row(String... cells) {
    rows.add(cells);
    return this;
  }

  public void print(PrintStream out) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] r : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], cell(r, i).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        String c = cell(r, i);
        line.append(c);
        if (i < columns - 1) {
          line.append(" ".repeat(widths[i] - c.length() + GAP));
        }
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    out.print(sb);
    out.flush();
  }

  private static String cell(String[] r, int i) {
    return i < r.length && r[i] != null ? r[i] : "";
  }
}
