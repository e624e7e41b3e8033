package io.cleave.cli.deploy;

import io.cleave.client.CliFailure;
import io.cleave.common.config.UserHome;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Installs what a function's requirements.txt names with pip into a directory that deploy adds
 * to the bundle as {@code .python_packages/} (the runtime puts {@code /function/.python_packages}
 * on the module path). The directory is built in a cache keyed by the requirements' sha256
 * ({@code ~/.cache/cleave/pip/<hex>}), never in the function's own directory: an unchanged file is
 * installed once, and a failed install leaves nothing behind.
 */
public final class PythonPackages {
  public static final String DIR_NAME = ".python_packages";

  private static final Pattern NOT_FOUND = Pattern.compile("No matching distribution found for (\\S+)");
  private static final Pattern NO_VERSION = Pattern.compile("satisfies the requirement (\\S+)");
  private static final Pattern INSTALLED = Pattern.compile("(?m)^Successfully installed (.+)$");

  private final Path cacheRoot;
  private final PrintStream progress;

  public PythonPackages(Path cacheRoot, PrintStream progress) {
    this.cacheRoot = cacheRoot;
    this.progress = progress;
  }

  /** {@code $XDG_CACHE_HOME/cleave/pip}, else {@code ~/.cache/cleave/pip}. */
  public static Path defaultCacheRoot() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : UserHome.current().resolve(".cache");
    return base.resolve("cleave").resolve("pip");
  }

  /**
   * The installed packages for {@code req} (from the cache, or installed now), or empty when
   * there is nothing to install. Fails with pip's reason, naming the package, when pip fails.
   */
  public Optional<Path> build(Path functionDir, Requirements req, Optional<PythonRuntime> python) throws IOException {
    if (req.installsNothing()) {
      return Optional.empty();
    }
    if (Files.exists(functionDir.resolve(DIR_NAME))) {
      throw new CliFailure(functionDir.resolve(DIR_NAME) + " exists and " + Requirements.FILE_NAME
          + " names packages to install; keep one: vendored packages (remove the package lines) or installed ones"
          + " (remove " + DIR_NAME + ")");
    }
    PythonRuntime py = python.orElseThrow(() -> new CliFailure(Requirements.FILE_NAME + " names packages ("
        + String.join(", ", req.names()) + ") but " + PythonRuntime.NODE_PYTHON + " is missing here (apt-get install python3)"));
    Path target = cacheRoot.resolve(req.key(py.version()));
    if (Files.isDirectory(target)) {
      progress.println("Python packages from " + Requirements.FILE_NAME + ": already installed (" + target + ")");
      return Optional.of(target);
    }
    Pip pip = Pip.find(py).orElseThrow(() -> new CliFailure(Requirements.FILE_NAME + " names packages ("
        + String.join(", ", req.names()) + ") but there is no pip for " + py.interpreter()
        + " here; install it with: apt-get install python3-pip"));
    return Optional.of(install(functionDir, req, py, pip, target));
  }

  private Path install(Path functionDir, Requirements req, PythonRuntime py, Pip pip, Path target) throws IOException {
    Files.createDirectories(cacheRoot);
    Path work = Files.createTempDirectory(cacheRoot, target.getFileName() + ".building-");
    Path file = work.resolve(Requirements.FILE_NAME);
    Path into = work.resolve(DIR_NAME);
    try {
      Files.writeString(file, req.text(), StandardCharsets.UTF_8);
      progress.println("Installing " + String.join(", ", req.names()) + " from " + Requirements.FILE_NAME
          + " for Python " + py.version() + " with " + String.join(" ", pip.command()) + " ...");
      progress.flush();
      long start = System.nanoTime();
      // In the function's directory, so relative paths in requirements.txt mean what they mean there.
      ChildProcess.Result r = ChildProcess.run(pip.installCommand(file, into, py), functionDir, Pip.ENV, 0);
      if (!r.ok()) {
        throw new CliFailure(failure(r, pip));
      }
      Files.createDirectories(into);
      publish(into, target);
      Matcher m = INSTALLED.matcher(r.output());
      progress.println(String.format(Locale.ROOT, "Installed %s into %s (%.1f s)",
          m.find() ? m.group(1).strip() : "the packages", DIR_NAME, (System.nanoTime() - start) / 1e9));
      return target;
    } finally {
      deleteTree(work);
    }
  }

  /** Moves the finished tree into its cache place; a concurrent deploy that got there first wins. */
  private static void publish(Path built, Path target) throws IOException {
    try {
      Files.move(built, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      // same key, same content
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot move " + built + " to " + target + " in one step", e);
    } catch (IOException e) {
      if (!Files.isDirectory(target)) {
        throw e;
      }
    }
  }

  /** pip's own error lines, led by the package they are about. */
  static String failure(ChildProcess.Result r, Pip pip) {
    List<String> errors = new ArrayList<>();
    r.output().lines().filter(l -> l.startsWith("ERROR: ")).forEach(l -> errors.add(l.substring(7).strip()));
    String reason = errors.isEmpty() ? lastLines(r.output(), 5) : String.join("; ", errors);
    String text = String.join("\n", errors);
    Matcher m = NOT_FOUND.matcher(text);
    Matcher v = NO_VERSION.matcher(text);
    String spec = m.find() ? m.group(1) : v.find() ? v.group(1) : null;
    // "name>=1" as pip quotes it: the name alone leads the message, pip's words keep the version.
    String pkg = spec == null ? null : spec.split("[<>=!~;\\[ @]", 2)[0];
    StringBuilder sb = new StringBuilder(Requirements.FILE_NAME + ": ");
    sb.append(pkg == null ? "pip failed (exit " + r.exit() + ")" : "cannot install " + pkg).append(": ").append(reason);
    if (!pip.ownInterpreter() && pkg != null) {
      sb.append(" (pip here is not the function's Python's own, so only wheels can be used; apt-get install python3-pip lifts that)");
    }
    return sb.toString();
  }

  private static String lastLines(String output, int n) {
    List<String> lines = output.strip().lines().toList();
    return String.join(" / ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
