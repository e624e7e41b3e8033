package io.cleave.cli.deploy;

import io.cleave.client.CliFailure;
import java.util.List;
import java.util.Locale;

/**
 * The Java that runs functions on a node: its JDK 17, so func.yaml's {@code runtime} may be
 * {@code java} or {@code java17}; Fn's other Java versions are refused before anything is built.
 */
public final class JavaRuntime {
  public static final String GENERIC = "java";
  public static final List<String> NAMES = List.of(GENERIC, "java17");

  private JavaRuntime() {}

  /** Whether func.yaml's runtime names Java at all (java, java11, java17, ...). */
  public static boolean isJava(String runtime) {
    return runtime != null && runtime.strip().toLowerCase(Locale.ROOT).matches("java\\d*");
  }

  /** Refuses a Java version this node does not run. */
  public static void check(String runtime) {
    String rt = runtime.strip().toLowerCase(Locale.ROOT);
    if (!NAMES.contains(rt)) {
      throw new CliFailure("runtime " + rt + " is not available; this node runs Java 17: use runtime java (or java17)");
    }
  }
}
