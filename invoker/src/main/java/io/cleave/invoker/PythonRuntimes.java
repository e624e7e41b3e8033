package io.cleave.invoker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Python runtimes this node runs, by func.yaml's {@code runtime} name: {@code python} and
 * {@code python3} are Debian's {@code /usr/bin/python3}; {@code python3.N} runs only when
 * {@code /usr/bin/python3.N} exists, so a function never runs on a version it did not ask for.
 */
final class PythonRuntimes {
  private static final Path BIN = Path.of("/usr/bin");
  private static final Pattern VERSIONED = Pattern.compile("python3\\.\\d{1,2}");

  private PythonRuntimes() {}

  /** The interpreter for a runtime name ("" means the default); empty when this node lacks it. */
  static Optional<String> interpreter(String runtime) {
    if (runtime.isEmpty() || runtime.equals("python") || runtime.equals("python3")) {
      return Optional.of(FunctionCode.PYTHON);
    }
    if (VERSIONED.matcher(runtime).matches() && Files.isExecutable(BIN.resolve(runtime))) {
      return Optional.of(BIN.resolve(runtime).toString());
    }
    return Optional.empty();
  }

  /** The names {@link #interpreter} accepts here, for error messages. */
  static List<String> available() {
    List<String> names = new ArrayList<>(List.of("python", "python3"));
    try (Stream<Path> bin = Files.list(BIN)) {
      bin.map(p -> p.getFileName().toString())
          .filter(n -> VERSIONED.matcher(n).matches() && Files.isExecutable(BIN.resolve(n)))
          .sorted()
          .forEach(names::add);
    } catch (java.io.IOException e) {
      // the defaults above are still true
    }
    return names;
  }
}
