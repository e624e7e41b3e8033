package io.cleave.invoker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a function's instances run, from its func.yaml's {@code runtime}: a Python process, which a
 * seed can fork, or a JVM, which cannot be forked safely and hosts several instances instead.
 */
sealed interface FunctionRuntime permits FunctionRuntime.Python, FunctionRuntime.Java {

  /** The command forkd starts a cold instance (Python) or a JVM seed (Java) with, for an instance of {@code memoryMb}. */
  List<String> command(int memoryMb);

  /** What the runtime adds to the function's config in the instance's environment. */
  Map<String, String> env();

  /**
   * A Python function's module file (under /function) and handler, run by {@code interpreter}.
   * Its instances can be forked from a seed.
   */
  record Python(String interpreter, String file, String handler) implements FunctionRuntime {
    /**
     * What instances import: forkd's read-only copy of the runtime first, then the function's own
     * modules, then the packages {@code cleave deploy} installed from requirements.txt. With
     * {@code PYTHONSAFEPATH} the working directory is not put in front, so a bundle's own
     * {@code fdk/} never shadows the runtime.
     */
    static final String PYTHONPATH = "/cleave/sdk-python:/function:/function/.python_packages";

    @Override
    public List<String> command(int memoryMb) {
      return List.of(interpreter, "-m", "fdk", file, handler);
    }

    @Override
    public Map<String, String> env() {
      // PYTHONUNBUFFERED: output reaches the per-call logs when written, not when a buffer fills.
      return Map.of("PYTHONPATH", PYTHONPATH, "PYTHONSAFEPATH", "1", "PYTHONUNBUFFERED", "1");
    }
  }

  /**
   * A Java function ({@code cmd}: {@code class::method}, Fn's form) run by the JVM at {@code java}
   * on the runtime jar (docs: JAVA-CONTRACT). {@code cdsClasspath}: the class path the bundle's
   * AppCDS archive ({@code /function/cds/app.jsa}) was made with, null without an archive.
   */
  record Java(String java, String cmd, String cdsClasspath) implements FunctionRuntime {
    /** The runtime jar as every container sees it (forkd binds it there). */
    static final String RUNTIME_JAR = "/cleave/sdk-java/cleave-fdk-java.jar";
    static final String MAIN = "io.cleave.fdk.java.JavaSeed";
    static final String CDS_ARCHIVE = "/function/cds/app.jsa";

    /**
     * The instances share one heap sized from one instance's memory: 5/8 of it, leaving the rest
     * of the first instance's limit to the JVM's own memory (class metadata, code, thread stacks).
     * The seed's cgroup limit grows by an instance's memory with each instance it hosts.
     */
    static long heapMb(int memoryMb) {
      return Math.max(8, memoryMb * 5L / 8);
    }

    @Override
    public List<String> command(int memoryMb) {
      List<String> cmd = new ArrayList<>(List.of(java));
      if (cdsClasspath != null) {
        // auto: an archive this JDK cannot map costs speed, never the start (and says nothing in the function's logs).
        cmd.addAll(List.of("-XX:SharedArchiveFile=" + CDS_ARCHIVE, "-Xshare:auto", "-Xlog:cds=off",
            "-Xlog:cds+dynamic=off"));
      }
      // A heap exhausted by one instance ends the seed: its calls fail clearly and the next call starts a new one.
      // G1, not Serial: on JDK 17 only G1 maps the CDS archives' heap objects (the JDK's archived module
      // graph among them), which takes ~10 ms of CPU off every JVM's start, with or without an app archive.
      cmd.addAll(List.of("-XX:+ExitOnOutOfMemoryError", "-Xmx" + heapMb(memoryMb) + "m", "-XX:+UseG1GC",
          "-Xss512k", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
          "-cp", classpath(), MAIN));
      return List.copyOf(cmd);
    }

    /**
     * The archive's class path, as the same string (JDK 17 maps an archive only under the class
     * path it was made with), when its first entry is the runtime jar as a JVM seed sees it from
     * its working directory, / (forkd starts JVM seeds there): {@code cleave/sdk-java/...}, or
     * {@code ../cleave/sdk-java/...} from a deploy that trained in a function/ dir; else the
     * runtime jar alone.
     */
    private String classpath() {
      if (cdsClasspath == null) {
        return RUNTIME_JAR;
      }
      String first = cdsClasspath.split(":", 2)[0];
      return Path.of("/").resolve(first).normalize().equals(Path.of(RUNTIME_JAR)) ? cdsClasspath : RUNTIME_JAR;
    }

    @Override
    public Map<String, String> env() {
      return Map.of("CLEAVE_JAVA_CMD", cmd, "FN_CMD", cmd, "CLEAVE_FUNCTION_DIR", "/function");
    }
  }
}
