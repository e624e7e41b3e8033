package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.logging.Logger;

/**
 * The Java runtime jar every container sees read-only at {@code /cleave/sdk-java}: forkd copies
 * the checkout's build of it into its run dir (world-readable), as it does the Python runtime.
 * The jar may be built after forkd started, so a JVM seed's start installs it when it is missing
 * or older than the build.
 */
final class JavaRuntime {
  static final String JAR = "cleave-fdk-java.jar";
  /** Where instances find the jar; the invoker's JVM command puts it on the class path. */
  static final String MOUNT_POINT = "/cleave/sdk-java";

  private static final Logger LOG = Logger.getLogger("forkd.runtime");

  private JavaRuntime() {}

  /** Makes the (possibly empty) dir the containers bind, with the jar in it when it is built. */
  static void prepare(Path source, Path target) throws IOException {
    RunDirs.deleteTree(target);
    Files.createDirectories(target);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
    if (Files.isRegularFile(source)) {
      install(source, target);
    } else {
      LOG.info("no Java runtime at " + source + " yet: Java functions start once it is built");
    }
  }

  /** Installs the jar unless the installed copy is as new as the build; a clear error when there is no build. */
  static synchronized void require(Path source, Path target) throws IOException {
    if (!Files.isRegularFile(source)) {
      throw new IOException("the Java runtime is missing: no " + source
          + " (build it with: mvn -pl sdk-java/runtime -am package, or ./cleave build)");
    }
    Path installed = target.resolve(JAR);
    if (!Files.isRegularFile(installed)
        || Files.getLastModifiedTime(installed).compareTo(Files.getLastModifiedTime(source)) < 0) {
      install(source, target);
    }
  }

  /** A new copy replaces the old by rename: JVMs running on the old one keep reading its inode. */
  private static void install(Path source, Path target) throws IOException {
    Path partial = target.resolve("." + JAR + ".partial");
    Files.copy(source, partial, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-r--r--"));
    FileTime built = Files.getLastModifiedTime(source);
    Files.setLastModifiedTime(partial, built);
    Files.move(partial, target.resolve(JAR), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    LOG.info("Java runtime " + source + " installed at " + target);
  }
}
