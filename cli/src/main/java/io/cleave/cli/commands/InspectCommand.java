package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.CliFailure;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.UserCommand;
import java.io.IOException;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave inspect app|fn|trigger ... [FIELD]}: the server's JSON, or one field of it. */
@Command(
    name = "inspect",
    aliases = "i",
    description = "Show an app, a function or a trigger as JSON, or one FIELD of it (dotted path, e.g. annotations).",
    subcommands = {InspectCommand.App.class, InspectCommand.Fn.class, InspectCommand.Trigger.class})
public final class InspectCommand {
  InspectCommand() {}

  @Command(name = "app", aliases = "a", description = "Inspect an app.")
  static final class App extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin AppParameter app;
    @Parameters(index = "1", paramLabel = "FIELD", arity = "0..1") String field;

    @Override
    protected int execute() throws IOException {
      return print(app.find(endpoint.client()), field);
    }
  }

  @Command(name = "fn", aliases = {"function", "f"}, description = "Inspect a function.")
  static final class Fn extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin FnParameters fn;
    @Parameters(index = "2", paramLabel = "FIELD", arity = "0..1") String field;

    @Option(names = "--endpoint", description = "Print only the function's invoke endpoint")
    boolean endpointOnly;

    @Override
    protected int execute() throws IOException {
      return print(fn.find(endpoint.client()), field, endpointOnly ? PlatformClient.FN_ENDPOINT : null, "function");
    }
  }

  @Command(name = "trigger", aliases = {"trig", "tr", "t"}, description = "Inspect a trigger.")
  static final class Trigger extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin TriggerParameters trigger;
    @Parameters(index = "3", paramLabel = "FIELD", arity = "0..1") String field;

    @Option(names = "--endpoint", description = "Print only the trigger's HTTP endpoint")
    boolean endpointOnly;

    @Override
    protected int execute() throws IOException {
      return print(trigger.find(endpoint.client()), field, endpointOnly ? PlatformClient.TRIGGER_ENDPOINT : null, "trigger");
    }
  }

  /** The endpoint {@code node} names in its {@code endpoint} annotation, else FIELD or the whole node; {@code what} names the node. */
  private static int print(JsonNode node, String field, String endpoint, String what) {
    if (endpoint == null) {
      return print(node, field);
    }
    String url = node.path("annotations").path(endpoint).asText("");
    if (url.isEmpty()) {
      throw new CliFailure("the server gave no endpoint for this " + what);
    }
    System.out.println(url);
    return 0;
  }

  private static int print(JsonNode node, String field) {
    JsonNode out = field == null ? node : lookup(node, field)
        .orElseThrow(() -> new CliFailure("no field " + field + " (fields: " + String.join(", ", (Iterable<String>) node::fieldNames) + ")"));
    System.out.println(JsonText.pretty(out));
    return 0;
  }

  /**
   * Follows a dotted path; keys that contain dots themselves (annotation names such as
   * fnproject.io/fn/invokeEndpoint) are matched by trying the longest run of segments first.
   */
  static Optional<JsonNode> lookup(JsonNode node, String path) {
    if (path.isEmpty()) {
      return Optional.of(node);
    }
    String[] parts = path.split("\\.", -1);
    for (int take = parts.length; take >= 1; take--) {
      String key = String.join(".", java.util.Arrays.copyOfRange(parts, 0, take));
      JsonNode child = node.isArray() && key.matches("\\d+") ? node.get(Integer.parseInt(key)) : node.get(key);
      if (child != null) {
        String rest = String.join(".", java.util.Arrays.copyOfRange(parts, take, parts.length));
        Optional<JsonNode> found = lookup(child, rest);
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }
}
