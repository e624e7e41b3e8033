package io.cleave.cli.commands;

import io.cleave.client.CliFailure;
import io.cleave.cli.api.FnLimits;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import io.cleave.cli.cluster.NodeLauncher;
import io.cleave.cli.deploy.FnApiArtifact;
import io.cleave.cli.deploy.FuncFile;
import io.cleave.cli.deploy.JavaHello;
import io.cleave.cli.deploy.JavaRuntime;
import io.cleave.cli.deploy.PythonRuntime;
import io.cleave.cli.deploy.Requirements;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave init}: a new function directory, as {@code fn init --runtime python} makes it. */
@Command(
    name = "init",
    description = "Create a function directory NAME with func.yaml and hello-world code.")
public final class InitCommand extends UserCommand {
  /** Fn's Python hello world (fn init --runtime python). */
  static final String PYTHON_HELLO = """
      import io
      import json
      import logging

      from fdk import response


      def handler(ctx, data: io.BytesIO = None):
          name = "World"
          try:
              body = json.loads(data.getvalue())
              name = body.get("name")
          except (Exception, ValueError) as ex:
              logging.getLogger().info('error parsing json payload: ' + str(ex))

          logging.getLogger().info("Inside Python Hello World function")
          return response.Response(
              ctx, response_data=json.dumps(
                  {"message": "Hello {0}".format(name)}),
              headers={"Content-Type": "application/json"}
          )
      """;

  /** Python needs more than Fn's 128 MB default; fn init writes 256 for it as well. */
  static final int PYTHON_MEMORY_MB = 256;

  @Option(names = "--runtime", required = true, paramLabel = "RUNTIME", description = "Function runtime: python (or python3.X for the version this node runs), or java (java17)")
  String runtime;

  @Option(names = "--trigger", paramLabel = "TYPE", description = "Add a trigger of this type (http) named after the function")
  String trigger;

  @Option(names = {"--memory", "-m"}, paramLabel = "MB", description = "Memory in MB, 1-8192 (default: ${DEFAULT-VALUE})", defaultValue = "" + PYTHON_MEMORY_MB)
  int memory;

  @Option(names = "--timeout", paramLabel = "SECONDS", description = "Call timeout in seconds, 1-300 (server default 30 when absent)")
  Integer timeout;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "Seconds an idle instance is kept, 1-3600 (server default 30 when absent)")
  Integer idleTimeout;

  @Parameters(paramLabel = "NAME", description = "Directory to create; its last component is the function name")
  Path dir;

  @Override
  protected int execute() throws IOException {
    String rt = runtime.toLowerCase(Locale.ROOT);
    boolean java = JavaRuntime.isJava(rt);
    if (java && !JavaRuntime.NAMES.contains(rt)) {
      throw new UsageFailure("init does not support the '" + runtime + "' runtime (this node runs Java 17: java, java17)");
    }
    if (!java && !rt.equals(PythonRuntime.GENERIC)) {
      List<String> names = PythonRuntime.probe(PythonRuntime.NODE_PYTHON).map(PythonRuntime::runtimeNames)
          .orElse(List.of(PythonRuntime.GENERIC));
      if (!names.contains(rt)) {
        throw new UsageFailure("init does not support the '" + runtime + "' runtime (supported: " + String.join(", ", names)
            + ", " + String.join(", ", JavaRuntime.NAMES) + ")");
      }
    }
    String type = trigger == null ? null : trigger.toLowerCase(Locale.ROOT);
    if (type != null && !type.equals("http")) {
      throw new UsageFailure("init does not support the trigger type '" + trigger + "' (permitted: http)");
    }
    FnLimits.MEMORY.checkOption(memory);
    FnLimits.TIMEOUT.checkOption(timeout);
    FnLimits.IDLE_TIMEOUT.checkOption(idleTimeout);
    Path fileName = dir.normalize().getFileName();
    String name = fileName == null ? "" : fileName.toString();
    FuncFile.nameProblem(name).ifPresent(p -> {
      throw new UsageFailure(p + " (it is the last part of the directory given to init)");
    });
    boolean created = prepareDirectory();

    System.out.println("Creating function at: ./" + dir);
    try {
      if (java) {
        JavaHello.write(dir, name);
        System.out.println("Function boilerplate generated.");
        FuncFile.forJava(name, JavaHello.CMD, memory, timeout, idleTimeout, type).write(dir);
        System.out.println("func.yaml created.");
        installFnApi();
        return 0;
      }
      Files.writeString(dir.resolve("func.py"), PYTHON_HELLO, StandardCharsets.UTF_8);
      // As fn init writes it offline; deploy skips fdk lines (Cleave's runtime provides fdk).
      // A line of its own, so "echo pkg >> requirements.txt" adds a line.
      Files.writeString(dir.resolve(Requirements.FILE_NAME), "fdk\n", StandardCharsets.UTF_8);
      System.out.println("Function boilerplate generated.");
      FuncFile.forPython(name, rt, memory, timeout, idleTimeout, type).write(dir);
    } catch (IOException e) {
      if (created) {
        removeTree(dir);
      }
      throw new CliFailure("cannot write the function files in " + dir + ": " + e.getMessage());
    }
    System.out.println("func.yaml created.");
    return 0;
  }

  /**
   * Puts Cleave's Fn API into the local Maven repository so that mvn and IDEs resolve the pom's
   * dependency right away (deploy does it again); the function is written either way.
   */
  private static void installFnApi() {
    try {
      Path repo = FnApiArtifact.install(NodeLauncher.cleaveHome(), FnApiArtifact.localRepository());
      System.out.println("Cleave's Fn API (" + FnApiArtifact.GROUP + ":" + FnApiArtifact.ARTIFACT + ") is in " + repo);
    } catch (CliFailure | IOException e) {
      System.out.println("Note: Cleave's Fn API is not in your Maven repository yet (" + e.getMessage() + "); deploy puts it there");
    }
  }

  /** Creates the directory; refuses one that exists and is not empty. Returns whether it was created. */
  private boolean prepareDirectory() throws IOException {
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        if (s.findAny().isPresent()) {
          throw new CliFailure("directory " + dir + " already exists and is not empty; cannot init a function there");
        }
      }
      return false;
    }
    if (Files.exists(dir)) {
      throw new CliFailure(dir + " already exists and is not a directory");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new CliFailure("cannot create directory " + dir + ": " + e.getMessage());
    }
    return true;
  }

  private static void removeTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
