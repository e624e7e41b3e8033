package io.cleave.gateway;

import java.io.IOException;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * Loads, before the API listens, what the server needs when it has run out of file descriptors.
 * Loading a class or a JDK data file opens a file, which then fails: when accept() fails with
 * EMFILE, Netty logs the failure, and the first log line formats a time, which loads the time-zone
 * rules from {@code lib/tzdb.dat}; that load failing poisons the class for good and killed the
 * acceptor thread, so the server never accepted again. With everything loaded up front, the
 * acceptor pauses a second and accepts again once descriptors are free.
 */
final class ErrorPathClasses {
  /** Classes first used when a connection is refused, timed out or accepted after an EMFILE. */
  private static final List<String> CLASSES = List.of(
      "io.netty.channel.unix.Errors$NativeIoException",
      "io.cleave.gateway.ConnectionGuard$Watched");

  private ErrorPathClasses() {}

  static void loadNow() {
    LogRecord record = new LogRecord(Level.WARNING, "loading what logging a failure needs");
    record.setThrown(new IOException("accept(..) failed: Too many open files"));
    new SimpleFormatter().format(record);
    ClassLoader loader = ErrorPathClasses.class.getClassLoader();
    for (String name : CLASSES) {
      try {
        Class.forName(name, true, loader);
      } catch (ClassNotFoundException e) {
        // Netty's native transport is not on this class path: its errors cannot occur.
      }
    }
  }
}
