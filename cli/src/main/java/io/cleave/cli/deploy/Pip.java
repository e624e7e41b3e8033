package io.cleave.cli.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pip that installs a function's packages, chosen for the Python that will run them: that
 * interpreter's own ({@code /usr/bin/python3 -m pip}, Debian's python3-pip) when it has one, else
 * a pip on the PATH told to fetch wheels for that Python's version ({@code --python-version X.Y
 * --only-binary=:all:}: it cannot build source packages for another interpreter). Either way pip
 * uses its own configuration (index, find-links, constraints).
 */
record Pip(List<String> command, boolean ownInterpreter) {
  private static final long PROBE_SECONDS = 60;

  /** What pip needs to run quietly and never ask anything. */
  static final Map<String, String> ENV = Map.of("PIP_ROOT_USER_ACTION", "ignore");

  static Optional<Pip> find(PythonRuntime python) throws IOException {
    List<String> own = List.of(python.interpreter().toString(), "-m", "pip");
    if (works(own)) {
      return Optional.of(new Pip(own, true));
    }
    for (String name : List.of("pip3", "pip")) {
      Optional<Path> onPath = onPath(name);
      if (onPath.isPresent() && works(List.of(onPath.get().toString()))) {
        return Optional.of(new Pip(List.of(onPath.get().toString()), false));
      }
    }
    return Optional.empty();
  }

  private static boolean works(List<String> pip) throws IOException {
    List<String> cmd = new ArrayList<>(pip);
    cmd.add("--version");
    return ChildProcess.run(cmd, null, ENV, PROBE_SECONDS).ok();
  }

  private static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, name);
      if (Files.isExecutable(p) && !Files.isDirectory(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** {@code pip install} of {@code requirementsFile} into {@code target}, for {@code python}. */
  List<String> installCommand(Path requirementsFile, Path target, PythonRuntime python) {
    List<String> cmd = new ArrayList<>(command);
    cmd.addAll(List.of("install", "--target", target.toString(), "--no-compile", "--disable-pip-version-check",
        "--no-input", "--progress-bar", "off"));
    if (!ownInterpreter) {
      cmd.addAll(List.of("--python-version", python.version(), "--only-binary=:all:"));
    }
    cmd.addAll(List.of("-r", requirementsFile.toString()));
    return cmd;
  }
}
