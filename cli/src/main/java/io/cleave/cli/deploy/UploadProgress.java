package io.cleave.cli.deploy;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shows how far an upload got on stderr: a bar redrawn in place on a terminal, and in every case
 * a final line with bytes sent, total and rate.
 */
public final class UploadProgress {
  private static final long REDRAW_NANOS = 200_000_000L;
  private static final int BAR_WIDTH = 30;

  private final String label;
  private final long total;
  private final PrintStream out;
  private final boolean live;
  private final AtomicLong sent = new AtomicLong();
  private final long startNanos = System.nanoTime();
  private volatile long lastDrawNanos;

  public UploadProgress(String label, long total, PrintStream out, boolean live) {
    this.label = label;
    this.total = total;
    this.out = out;
    this.live = live;
  }

  /** Counts bytes handed to the connection and redraws the bar at most five times a second. */
  public void advance(long bytes) {
    sent.addAndGet(bytes);
    long now = System.nanoTime();
    if (live && now - lastDrawNanos >= REDRAW_NANOS) {
      lastDrawNanos = now;
      synchronized (out) {
        out.print("\r" + line(now));
        out.flush();
      }
    }
  }

  /** Prints the final state on its own line. */
  public void finish() {
    synchronized (out) {
      out.print((live ? "\r" : "") + line(System.nanoTime()) + "\n");
      out.flush();
    }
  }

  /** Ends a redrawn bar line so that an error message starts on a fresh line. */
  public void abandon() {
    if (live && lastDrawNanos != 0) {
      synchronized (out) {
        out.print("\n");
        out.flush();
      }
    }
  }

  String line(long nowNanos) {
    long done = Math.min(sent.get(), total);
    double fraction = total == 0 ? 1.0 : (double) done / total;
    int filled = (int) Math.round(fraction * BAR_WIDTH);
    double seconds = Math.max((nowNanos - startNanos) / 1e9, 1e-3);
    return String.format(Locale.ROOT, "%s [%s%s] %s / %s %3d%% %s/s",
        label, "#".repeat(filled), " ".repeat(BAR_WIDTH - filled),
        bytes(done), bytes(total), Math.round(fraction * 100), bytes((long) (done / seconds)));
  }

  /** Human byte count with binary units (B, KiB, MiB, GiB). */
  public static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
  }
}
