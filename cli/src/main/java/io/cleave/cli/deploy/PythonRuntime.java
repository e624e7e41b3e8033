package io.cleave.cli.deploy;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Python that runs functions on this node: the invoker starts instances with
 * {@code /usr/bin/python3}, so its version decides which func.yaml runtimes can run here
 * ({@code python} and {@code python3.X}, as Fn names them) and which wheels pip must fetch.
 */
public record PythonRuntime(Path interpreter, String version) {
  /** The interpreter the invoker runs (io.cleave.invoker.FunctionCode.PYTHON). */
  public static final Path NODE_PYTHON = Path.of("/usr/bin/python3");

  /** Fn's name for "whatever Python the platform runs". */
  public static final String GENERIC = "python";

  private static final long PROBE_SECONDS = 30;

  /** Asks the interpreter for its MAJOR.MINOR version; empty when it is missing or broken. */
  public static Optional<PythonRuntime> probe(Path interpreter) throws IOException {
    if (!Files.isExecutable(interpreter)) {
      return Optional.empty();
    }
    ChildProcess.Result r = ChildProcess.run(
        List.of(interpreter.toString(), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"), null, Map.of(), PROBE_SECONDS);
    String v = r.output().strip();
    return r.ok() && v.matches("\\d+\\.\\d+") ? Optional.of(new PythonRuntime(interpreter, v)) : Optional.empty();
  }

  /** The runtime names this node runs, generic first. */
  public List<String> runtimeNames() {
    return List.of(GENERIC, GENERIC + version);
  }

  /**
   * Checks a func.yaml {@code runtime} (absent means python) against what the node runs, so a
   * function that could never start is refused before anything is uploaded.
   */
  public static void check(String runtime, Optional<PythonRuntime> node) {
    String rt = runtime == null || runtime.isBlank() ? GENERIC : runtime.strip().toLowerCase(Locale.ROOT);
    if (node.isPresent() && node.get().runtimeNames().contains(rt)) {
      return;
    }
    if (node.isEmpty()) {
      if (rt.equals(GENERIC)) {
        return; // nothing to compare against here; the node reports its own problem when it starts the function
      }
      throw new CliFailure("runtime " + rt + " is not available; " + NODE_PYTHON + " is missing here (apt-get install python3)");
    }
    throw new CliFailure("runtime " + rt + " is not available; this node runs: " + String.join(", ", node.get().runtimeNames()));
  }
}
