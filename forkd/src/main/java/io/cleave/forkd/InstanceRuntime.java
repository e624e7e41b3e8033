package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The function runtime every container sees read-only at {@link #MOUNT_POINT}: forkd copies the
 * checkout's {@code sdk-python/fdk} into its run dir with world-readable modes and compiles it
 * there. Instances never read the checkout itself, which may sit under a 0700 home or under the
 * host's {@code /tmp} (hidden by the container's private {@code /tmp}).
 */
final class InstanceRuntime {
  /** Where instances find the runtime; the invoker puts it first on {@code PYTHONPATH}. */
  static final String MOUNT_POINT = "/cleave/sdk-python";

  private static final Logger LOG = Logger.getLogger("forkd.runtime");
  private static final String PACKAGE = "fdk";

  private InstanceRuntime() {}

  /** Replaces {@code target} with a fresh copy of {@code source/fdk}; answers {@code target}. */
  static Path install(Path source, Path target) throws IOException {
    Path pkg = source.resolve(PACKAGE);
    if (!Files.isRegularFile(pkg.resolve("__init__.py"))) {
      throw new IOException("the Python runtime is missing: no " + pkg.resolve("__init__.py")
          + " (set CLEAVE_HOME to the Cleave checkout)");
    }
    RunDirs.deleteTree(target);
    Files.createDirectories(target);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
    copyTree(pkg, target.resolve(PACKAGE));
    compile(target);
    LOG.info("function runtime " + pkg + " installed at " + target);
    return target;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(from, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        if (dir.getFileName().toString().equals("__pycache__")) {
          return FileVisitResult.SKIP_SUBTREE;
        }
        Path d = to.resolve(from.relativize(dir).toString());
        Files.createDirectories(d);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (attrs.isRegularFile() && file.getFileName().toString().endsWith(".py")) {
          Path f = to.resolve(from.relativize(file).toString());
          Files.copy(file, f, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
          Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        }
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** Byte-compiles ahead: the mount is read-only, so instances could not cache their own. */
  private static void compile(Path dir) throws IOException {
    Process p = new ProcessBuilder("/usr/bin/python3", "-m", "compileall", "-q", dir.toString())
        .redirectErrorStream(true)
        .start();
    try {
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("cannot compile the function runtime at " + dir + ": " + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while compiling the function runtime", e);
    }
  }
}
