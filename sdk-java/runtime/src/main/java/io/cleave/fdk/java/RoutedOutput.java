package io.cleave.fdk.java;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * System.out and System.err of a seed whose instances have output files of their own: what a
 * thread writes goes to the output of the instance it works for (its call's thread, and threads
 * that thread started), else to the process's own stream. So each instance's log stays a file
 * of its own, as a separate process's would be, though instances share the JVM.
 */
final class RoutedOutput extends OutputStream {
  private static final InheritableThreadLocal<OutputStream> ROUTE = new InheritableThreadLocal<>();
  private static volatile boolean installed;

  private final PrintStream fallback;

  private RoutedOutput(PrintStream fallback) {
    this.fallback = fallback;
  }

  /** Replaces System.out and System.err (once); until a thread is routed, they write where they did. */
  static synchronized void install() {
    if (installed) {
      return;
    }
    System.setOut(new PrintStream(new RoutedOutput(System.out), true));
    System.setErr(new PrintStream(new RoutedOutput(System.err), true));
    installed = true;
  }

  /** Routes the current thread (and threads it starts) to out; null routes it back to the process's streams. */
  static void route(OutputStream out) {
    if (out == null) {
      ROUTE.remove();
    } else {
      ROUTE.set(out);
    }
  }

  private OutputStream target() {
    OutputStream out = ROUTE.get();
    return out == null ? fallback : out;
  }

  @Override
  public void write(int b) throws IOException {
    target().write(b);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    target().write(b, off, len);
  }

  @Override
  public void flush() throws IOException {
    target().flush();
  }
}
