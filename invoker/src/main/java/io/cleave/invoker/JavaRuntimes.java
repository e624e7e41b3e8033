package io.cleave.invoker;

import io.cleave.common.error.ApiError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Java runtime this node runs, by func.yaml's {@code runtime} name: {@code java} and
 * {@code java17} are the node's JDK 17 (Debian's under /usr/lib/jvm); other versions are refused
 * with what the node has.
 */
final class JavaRuntimes {
  static final List<String> NAMES = List.of("java", "java17");
  private static final Path JVMS = Path.of("/usr/lib/jvm");
  private static final Path DEBIAN_17 = JVMS.resolve("java-17-openjdk-amd64");
  /** Fn's Java cmd: a class name, {@code ::}, a method name. */
  private static final Pattern CMD = Pattern.compile(
      "[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*::[A-Za-z_$][A-Za-z0-9_$]*");
  private static final long MAX_CLASSPATH = 64 * 1024;

  private JavaRuntimes() {}

  /** True for a runtime name that asks for Java (any version), false for Python's and the default. */
  static boolean isJava(String runtime) {
    return runtime.startsWith("java");
  }

  /** The node's JDK 17 {@code java}, if it has one. */
  static Optional<String> java17() {
    Path bin = DEBIAN_17.resolve("bin").resolve("java");
    return Files.isExecutable(bin) ? Optional.of(bin.toString()) : Optional.empty();
  }

  /** The runtime of a Java function's bundle; a clear 502 for what this node cannot run. */
  static FunctionRuntime.Java resolve(String runtime, String cmd, Path bundleDir) throws IOException {
    if (!NAMES.contains(runtime)) {
      throw new ApiError(502, "func.yaml runtime '" + runtime + "' is not available on this node (" + String.join(", ", NAMES)
          + " run on its JDK 17)");
    }
    String java = java17().orElseThrow(() -> new ApiError(502,
        "this node has no JDK 17 (" + DEBIAN_17 + "/bin/java) to run Java functions"));
    if (cmd == null || !CMD.matcher(cmd).matches()) {
      throw new ApiError(502, "func.yaml of a Java function needs cmd: <class>::<method> (like "
          + "com.example.fn.HelloFunction::handleRequest), got '" + (cmd == null ? "" : cmd) + "'");
    }
    if (!Files.isDirectory(bundleDir.resolve("lib"))) {
      throw new ApiError(502, "the bundle has no lib/ with the function's jar (cleave deploy builds it)");
    }
    return new FunctionRuntime.Java(java, cmd, cdsClasspath(bundleDir));
  }

  /** The class path the bundle's AppCDS archive was made with; null without an archive. */
  private static String cdsClasspath(Path bundleDir) throws IOException {
    Path archive = bundleDir.resolve("cds").resolve("app.jsa");
    Path classpath = bundleDir.resolve("cds").resolve("classpath");
    if (!Files.isRegularFile(archive) || !Files.isRegularFile(classpath)) {
      return null;
    }
    // The invoker runs as root: it reads nothing a link in the bundle could point out of it at.
    if (!classpath.toRealPath().startsWith(bundleDir.toRealPath()) || Files.size(classpath) > MAX_CLASSPATH) {
      throw new ApiError(502, "cds/classpath is a link leaving the bundle or larger than " + MAX_CLASSPATH + " bytes");
    }
    String text = Files.readString(classpath, StandardCharsets.UTF_8).strip();
    return text.isEmpty() || text.indexOf('\n') >= 0 || text.indexOf('\0') >= 0 ? null : text;
  }
}
