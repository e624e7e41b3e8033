package io.cleave.cli.commands;

import io.cleave.cli.api.CliFailure;
import io.cleave.cli.api.UserCommand;
import io.cleave.cli.deploy.FuncFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
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

  @Option(names = "--runtime", required = true, paramLabel = "RUNTIME", description = "Function runtime: python")
  String runtime;

  @Option(names = "--trigger", paramLabel = "TYPE", description = "Add a trigger of this type (http) named after the function")
  String trigger;

  @Option(names = {"--memory", "-m"}, paramLabel = "MB", description = "Memory in MiB (default: ${DEFAULT-VALUE})", defaultValue = "" + PYTHON_MEMORY_MB)
  int memory;

  @Option(names = "--timeout", paramLabel = "SECONDS", description = "Call timeout in seconds (server default when absent)")
  Integer timeout;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "Seconds an idle instance is kept (server default when absent)")
  Integer idleTimeout;

  @Parameters(paramLabel = "NAME", description = "Directory to create; its last component is the function name")
  Path dir;

  @Override
  protected int execute() throws IOException {
    String rt = runtime.toLowerCase(Locale.ROOT);
    if (!rt.equals("python")) {
      throw new CliFailure("init does not support the '" + runtime + "' runtime (supported: python)");
    }
    String type = trigger == null ? null : trigger.toLowerCase(Locale.ROOT);
    if (type != null && !type.equals("http")) {
      throw new CliFailure("init does not support the trigger type '" + trigger + "' (permitted: http)");
    }
    positive("--memory", memory);
    if (timeout != null) {
      positive("--timeout", timeout);
    }
    if (idleTimeout != null) {
      positive("--idle-timeout", idleTimeout);
    }
    Path fileName = dir.normalize().getFileName();
    String name = fileName == null ? "" : fileName.toString();
    FuncFile.nameProblem(name).ifPresent(p -> {
      throw new CliFailure(p + " (it is the last part of the directory given to init)");
    });
    boolean created = prepareDirectory();

    System.out.println("Creating function at: ./" + dir);
    try {
      Files.writeString(dir.resolve("func.py"), PYTHON_HELLO, StandardCharsets.UTF_8);
      Files.writeString(dir.resolve("requirements.txt"), "fdk", StandardCharsets.UTF_8);
      System.out.println("Function boilerplate generated.");
      FuncFile.forPython(name, memory, timeout, idleTimeout, type).write(dir);
    } catch (IOException e) {
      if (created) {
        removeTree(dir);
      }
      throw new CliFailure("cannot write the function files in " + dir + ": " + e.getMessage());
    }
    System.out.println("func.yaml created.");
    return 0;
  }

  private static void positive(String option, int value) {
    if (value <= 0) {
      throw new CliFailure(option + " must be a positive number, got " + value);
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
