package io.cleave.forkd;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps each instance's output under its cap ({@code CLEAVE_FORKD_LOG_LIMIT_MB}, enforced by the
 * file-size limit) by rotating it, as logrotate's copytruncate does: once it passes half the cap,
 * its content moves to {@code output.1} (replacing the previous one) and the file is emptied. The
 * instance writes with O_APPEND, so it goes on at the new end: a chatty function keeps running
 * and its newest output stays readable. What it writes between the copy and the truncation (a
 * few microseconds) is lost; a function writing half the cap within one check's interval still
 * meets the cap.
 */
final class OutputRotation implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.output");
  static final String ROTATED = "output.1";
  private static final long CHECK_EVERY_MS = 250;

  private final long rotateAt;
  private final Supplier<Collection<Instance>> instances;
  private final Thread checker;
  private volatile boolean closed;

  OutputRotation(long limitBytes, Supplier<Collection<Instance>> instances) {
    this.rotateAt = limitBytes / 2;
    this.instances = instances;
    this.checker = new Thread(this::run, "forkd-output-rotation");
    checker.setDaemon(true);
    checker.start();
  }

  private void run() {
    while (!closed) {
      for (Instance i : instances.get()) {
        rotateIfLarge(i.output());
      }
      try {
        Thread.sleep(CHECK_EVERY_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Rotates one output file past the threshold; the file is forkd's own (never followed through a link). */
  void rotateIfLarge(Path output) {
    try {
      if (!Files.isRegularFile(output, LinkOption.NOFOLLOW_LINKS) || Files.size(output) < rotateAt) {
        return;
      }
      Path rotated = output.resolveSibling(ROTATED);
      Path partial = output.resolveSibling(ROTATED + ".part");
      // forkd's copy (root's, not the function's uid): the instance cannot rewrite its own history.
      Files.copy(output, partial, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
      try (FileChannel ch = FileChannel.open(output, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
        ch.truncate(0);
      }
      Files.move(partial, rotated, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // The instance may be going away under us; the next round tries again.
      LOG.log(Level.FINE, "rotating " + output + ": " + e);
    }
  }

  @Override
  public void close() {
    closed = true;
    checker.interrupt();
  }
}
