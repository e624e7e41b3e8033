package io.cleave.bench.replay;

import io.cleave.client.Terminal;
import java.io.PrintStream;

/**
 * A progress bar on stderr: one line redrawn in place on a terminal, a fresh line every few
 * seconds otherwise (logs and CI stay readable).
 */
final class ProgressLine {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private final boolean terminal;
  private final String label;
  private long lastLineNanos;

  ProgressLine(PrintStream out, String label) {
    this.out = out;
    this.terminal = Terminal.stderrIsTerminal();
    this.label = label;
  }

  void show(boolean force, long elapsedMicros, long lengthMicros, int sent, int planned, int ok, int errors, int dropped, int inFlight) {
    long now = System.nanoTime();
    if (!force && !terminal && now - lastLineNanos < 5_000_000_000L) {
      return;
    }
    lastLineNanos = now;
    double done = lengthMicros <= 0 ? 1.0 : Math.min(1.0, (double) elapsedMicros / lengthMicros);
    int filled = (int) Math.round(done * WIDTH);
    String line = String.format("%s [%s%s] %3.0f%% %5.1fs  sent %d/%d  ok %d  errors %d  dropped %d  in flight %d",
        label, "#".repeat(filled), " ".repeat(WIDTH - filled), done * 100, elapsedMicros / 1e6,
        sent, planned, ok, errors, dropped, inFlight);
    out.print(terminal ? "\r" + line + "\033[K" : line + "\n");
    out.flush();
  }

  void finish() {
    if (terminal) {
      out.println();
    }
  }
}
