package io.cleave.cli.deploy;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Deploy's build of a Java function into the bundle's tree: {@code mvn -B package} plus the
 * runtime dependencies copied into {@code lib/} (Maven's local repository is the dependency
 * cache: each is downloaded once per machine), then an AppCDS archive made by running the
 * function once in the runtime ({@code cds/app.jsa}, {@code cds/classpath}). The tree is built in
 * a directory of its own, never in the function's: the bundle is func.yaml, lib/ and cds/ only.
 */
public final class JavaBuild {
  /** The runtime jar's path relative to the seed's working directory (/), as forkd mounts it. */
  public static final String SEED_CLASSPATH = "cleave/sdk-java/cleave-fdk-java.jar";
  static final int MAX_ERROR_LINES = 25;
  private static final long MAVEN_LIMIT_S = 1800;
  private static final long TRAINING_LIMIT_S = 120;

  private final Path cleaveHome;
  private final PrintStream progress;

  public JavaBuild(Path cleaveHome, PrintStream progress) {
    this.cleaveHome = cleaveHome;
    this.progress = progress;
  }

  /** The function's cmd from func.yaml, checked for Fn's Class::method form. */
  public static String cmd(FuncFile ff) {
    String cmd = ff.cmd().strip();
    if (cmd.isEmpty()) {
      throw new CliFailure("func.yaml: a Java function needs cmd, as in cmd: " + JavaHello.CMD);
    }
    if (!cmd.matches("[\\p{L}_$][\\p{L}\\p{N}_$.]*::[\\p{L}_$][\\p{L}\\p{N}_$]*")) {
      throw new CliFailure("func.yaml: cmd '" + cmd + "' is not a class and a method as in " + JavaHello.CMD);
    }
    return cmd;
  }

  /** Builds the bundle tree (lib/, cds/) of the function in dir into a new directory under workRoot. */
  public Path build(Path dir, FuncFile ff, Path workRoot) throws IOException {
    String cmd = cmd(ff);
    if (!Files.isRegularFile(dir.resolve("pom.xml"))) {
      throw new CliFailure("no pom.xml in " + dir.toAbsolutePath().normalize() + "; a Java function is built with Maven"
          + " (create one with `cleave init --runtime java NAME`)");
    }
    Path repository = FnApiArtifact.localRepository();
    FnApiArtifact.install(cleaveHome, repository);
    Path tree = Files.createTempDirectory(workRoot, "java-bundle-");
    Path lib = Files.createDirectories(tree.resolve("lib"));
    progress.println("Building " + ff.name() + " with Maven (mvn -B package; dependencies are cached in " + repository + ") ...");
    progress.flush();
    long start = System.nanoTime();
    ChildProcess.Result r = ChildProcess.run(List.of("mvn", "-B", "-Dstyle.color=never", "package",
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies", "-DincludeScope=runtime",
        "-DoutputDirectory=" + lib.toAbsolutePath()), dir, Map.of(), MAVEN_LIMIT_S);
    if (r.exit() == 127) {
      throw new CliFailure("Maven (mvn) is needed to build Java functions and is not installed here: apt-get install maven");
    }
    if (!r.ok()) {
      throw new CliFailure(failure(r, dir));
    }
    Path jar = functionJar(dir);
    Files.copy(jar, lib.resolve(jar.getFileName()));
    int dependencies;
    try (Stream<Path> s = Files.list(lib)) {
      dependencies = (int) s.count() - 1;
    }
    progress.println(String.format(Locale.ROOT, "Built %s and %d runtime dependencies into lib/ (%.1f s)",
        jar.getFileName(), dependencies, (System.nanoTime() - start) / 1e9));
    archive(tree, cmd, ff.config());
    return tree;
  }

  /**
   * Maven's own error lines, paths relative to the function: its "Failed to execute goal" line
   * first, then the details (a compile error's symbol and location lines under their error), and
   * the lines it printed before (test failures); its last lines when it printed no error.
   */
  static String failure(ChildProcess.Result r, Path dir) {
    String root = dir.toAbsolutePath().normalize() + "/";
    List<String> lines = new ArrayList<>();
    for (String line : r.output().lines().toList()) {
      if (!line.startsWith("[ERROR]")) {
        continue;
      }
      String text = line.substring("[ERROR]".length()).stripTrailing().replace(root, "");
      text = text.startsWith(" ") ? text.substring(1) : text;
      if (text.startsWith("-> [Help") || text.startsWith("To see the full stack trace")) {
        break;
      }
      if (!text.isBlank() && !text.strip().equals("COMPILATION ERROR :")) {
        lines.add(text);
      }
    }
    String why = r.exit() < 0 ? "the Maven build did not finish in " + MAVEN_LIMIT_S + " s" : "the Maven build failed";
    int goal = -1;
    for (int i = 0; i < lines.size() && goal < 0; i++) {
      goal = lines.get(i).startsWith("Failed to execute goal") ? i : -1;
    }
    List<String> details = new ArrayList<>();
    if (goal >= 0) {
      // Maven repeats the errors it listed before under the goal line, with their details.
      List<String> after = lines.subList(goal + 1, lines.size());
      for (String l : lines.subList(0, goal)) {
        if (after.stream().noneMatch(a -> a.strip().equals(l.strip()))) {
          details.add(l);
        }
      }
      details.addAll(after);
      why += ": " + lines.get(goal);
    } else if (lines.isEmpty()) {
      List<String> all = r.output().strip().lines().toList();
      details.addAll(all.subList(Math.max(0, all.size() - 10), all.size()));
    } else {
      details.addAll(lines);
    }
    List<String> shown = details.subList(0, Math.min(details.size(), MAX_ERROR_LINES));
    return shown.isEmpty() ? why : why + "\n  " + String.join("\n  ", shown);
  }

  /** target/*.jar: the one jar the build made (sources, javadoc and test jars aside). */
  private static Path functionJar(Path dir) throws IOException {
    Path target = dir.resolve("target");
    List<Path> jars;
    try (Stream<Path> s = Files.isDirectory(target) ? Files.list(target) : Stream.empty()) {
      jars = s.filter(p -> {
        String n = p.getFileName().toString();
        return n.endsWith(".jar") && !n.endsWith("-sources.jar") && !n.endsWith("-javadoc.jar") && !n.endsWith("-tests.jar");
      }).sorted().toList();
    }
    if (jars.size() != 1) {
      throw new CliFailure("the Maven build should make one jar in target/, it made " + jars.size()
          + (jars.isEmpty() ? " (is <packaging> jar?)" : ": " + jars));
    }
    return jars.get(0);
  }

  /**
   * Runs the runtime's training (one instance, one call) under -XX:ArchiveClassesAtExit. JDK 17
   * only uses an archive when -cp is the same string, so it runs from a directory holding the
   * runtime jar at {@link #SEED_CLASSPATH}, as the seed runs from /. A function that does not start
   * fails the deploy here, with the runtime's reason.
   */
  private void archive(Path tree, String cmd, Map<String, String> config) throws IOException {
    if (Runtime.version().feature() != 17) {
      progress.println("No AppCDS archive: deploy runs on Java " + Runtime.version().feature() + ", the node on 17");
      return;
    }
    Path runtimeJar = cleaveHome.resolve("sdk-java/runtime/target/cleave-fdk-java.jar");
    if (!Files.isRegularFile(runtimeJar)) {
      throw new CliFailure("Cleave's Java runtime is not built (" + runtimeJar + " is missing); run ./cleave once to build it");
    }
    Path cds = Files.createDirectories(tree.resolve("cds"));
    Path work = Files.createTempDirectory(tree.getParent(), "java-train-");
    long start = System.nanoTime();
    try {
      Path link = work.resolve(SEED_CLASSPATH);
      Files.createDirectories(link.getParent());
      Files.createSymbolicLink(link, runtimeJar.toAbsolutePath());
      Path jsa = cds.resolve("app.jsa");
      List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:ArchiveClassesAtExit=" + jsa.toAbsolutePath(), "-Xshare:auto", "-XX:+UseG1GC",
          "-XX:TieredStopAtLevel=1", "-Xmx256m", "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
          "-cp", SEED_CLASSPATH, "io.cleave.fdk.java.JavaSeed");
      Map<String, String> env = new java.util.HashMap<>(config);
      env.putAll(Map.of("CLEAVE_JAVA_TRAIN", "1", "CLEAVE_JAVA_CMD", cmd,
          "CLEAVE_FUNCTION_DIR", tree.toAbsolutePath().toString()));
      ChildProcess.Result r = ChildProcess.run(command, work, env, TRAINING_LIMIT_S);
      if (!r.ok()) {
        String out = r.output().strip();
        throw new CliFailure("the function does not start in Cleave's Java runtime" + (out.isEmpty() ? "" : ":\n  "
            + String.join("\n  ", out.lines().limit(MAX_ERROR_LINES).toList())));
      }
      if (!Files.isRegularFile(jsa)) {
        progress.println("No AppCDS archive: the JVM did not write one (cold starts are slower, calls are the same)");
        deleteTree(cds);
        return;
      }
      Files.writeString(cds.resolve("classpath"), SEED_CLASSPATH);
      progress.println(String.format(Locale.ROOT, "Made the AppCDS archive cds/app.jsa (%.1f MB, %.1f s)",
          Files.size(jsa) / 1e6, (System.nanoTime() - start) / 1e9));
    } finally {
      deleteTree(work);
    }
  }

  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
