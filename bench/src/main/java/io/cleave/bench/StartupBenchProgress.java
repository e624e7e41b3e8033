package io.cleave.bench;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of the startup benchmark on stderr: phase messages on lines of their own, and a counter
 * for the step under way, redrawn in place on a terminal and printed every few seconds otherwise.
 */
public final class StartupBenchProgress {
  private static final long QUIET_NANOS = 3_000_000_000L;
  private final PrintStream out;
  private final boolean enabled;
  private final boolean terminal;
  private final long startNanos = System.nanoTime();
  private long lastLineNanos;
  private boolean counting;

  public StartupBenchProgress(PrintStream out, boolean enabled) {
    this.out = out;
    this.enabled = enabled;
    this.terminal = System.console() != null;
  }

  /** A phase message on its own line, with the elapsed time. */
  public synchronized void phase(String format, Object... args) {
    if (!enabled) {
      return;
    }
    endCount();
    out.printf(Locale.ROOT, "[%5.1fs] %s%n", (System.nanoTime() - startNanos) / 1e9, String.format(Locale.ROOT, format, args));
    out.flush();
  }

  /** Where a counted step stands: {@code done} of {@code total}. */
  synchronized void count(String step, int done, int total) {
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    boolean last = done >= total;
    if (!terminal && !last && now - lastLineNanos < QUIET_NANOS) {
      return;
    }
    lastLineNanos = now;
    String line = String.format(Locale.ROOT, "        %s %d/%d", step, done, total);
    if (terminal) {
      out.print("\r" + line + "\033[K");
      counting = true;
      if (last) {
        endCount();
      }
    } else {
      out.println(line);
    }
    out.flush();
  }

  private void endCount() {
    if (counting) {
      out.println();
      counting = false;
    }
  }
}
