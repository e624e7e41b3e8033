package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.logging.Logger;

/**
 * forkd's copy of the user-space fork primitive (kmod/), installed in its run dir as it installs
 * the Python runtime: every container sees it read-only at {@link #MOUNT_POINT}, whatever the
 * checkout's permissions, at the same path on every node (a seed maps the library from there and
 * a remote child's restorer checks the seed's mapped files by path).
 */
final class ForkPrimitive {
  static final String MOUNT_POINT = "/cleave/kmod";
  static final String LIBRARY = "build/libcleave.so";
  static final String RESTORER = "build/cleave-restore";
  static final String PAGESERVER = "build/cleave-pageserver";
  static final String BINDING = "python/cleave_fork.py";

  private static final Logger LOG = Logger.getLogger("forkd.kmod");

  private ForkPrimitive() {}

  /**
   * Replaces {@code target} with a copy of the built primitive under {@code source}; throws when
   * something is missing (then this node has no remote fork).
   */
  static void install(Path source, Path target) throws IOException {
    for (String part : List.of(LIBRARY, RESTORER, PAGESERVER, BINDING)) {
      if (!Files.isRegularFile(source.resolve(part))) {
        throw new IOException("the fork primitive is not built: no " + source.resolve(part)
            + " (build it with: make -C kmod, or set CLEAVE_FORKD_KMOD)");
      }
    }
    RunDirs.deleteTree(target);
    for (String part : List.of(LIBRARY, RESTORER, PAGESERVER, BINDING)) {
      Path to = target.resolve(part);
      Files.createDirectories(to.getParent());
      Files.copy(source.resolve(part), to, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
      Files.setPosixFilePermissions(to, PosixFilePermissions.fromString(part.endsWith(".py") ? "rw-r--r--" : "rwxr-xr-x"));
    }
    for (Path dir : List.of(target, target.resolve("build"), target.resolve("python"))) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    LOG.info("fork primitive " + source + " installed at " + target);
  }

  /** A path of the installed primitive as containers see it. */
  static String inside(String part) {
    return MOUNT_POINT + "/" + part;
  }
}
