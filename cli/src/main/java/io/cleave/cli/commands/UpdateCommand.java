package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cleave update app|fn}: change fields in place (Fn merge-patch; unnamed fields stay). */
@Command(
    name = "update",
    aliases = "u",
    description = "Update an app or a function.",
    resourceBundle = "io.cleave.cli.commands.OptionDescriptions",
    subcommands = {UpdateCommand.App.class, UpdateCommand.Fn.class})
public final class UpdateCommand {
  UpdateCommand() {}

  private static void requireChange(ObjectNode body) {
    if (body.isEmpty()) {
      throw new UsageFailure("nothing to update: give at least one option");
    }
  }

  /** How a patch reaches the server (the app's or the function's PUT). */
  private interface Patch {
    void send(ObjectNode body) throws IOException;
  }

  /** Sends the patch only when it changes something, and says which. */
  private static void apply(JsonNode current, ObjectNode body, Patch patch, String what) throws IOException {
    Changes changes = new Changes();
    for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isObject()) {
        changes.entries(e.getKey(), current.get(e.getKey()), (ObjectNode) e.getValue());
      } else {
        changes.field(e.getKey(), current.get(e.getKey()), e.getValue());
      }
    }
    if (!changes.none()) {
      patch.send(body);
    }
    System.out.println(changes.report(what));
  }

  @Command(name = "app", aliases = "a", description = "Update an app's config or annotations.")
  static final class App extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin AppParameter app;
    @Mixin KeyValueOptions.Config config;
    @Mixin KeyValueOptions.Annotations annotations;

    @Override
    protected int execute() throws IOException {
      ObjectNode body = annotations.addTo(config.addTo(JsonText.object()));
      requireChange(body);
      PlatformClient api = endpoint.client();
      JsonNode current = app.find(api);
      apply(current, body, patch -> api.updateApp(JsonText.text(current, "id"), patch), "app " + app.name);
      return 0;
    }
  }

  @Command(name = "fn", aliases = {"function", "f"}, description = "Update a function's limits, image or config.")
  static final class Fn extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin FnParameters fn;

    @Option(names = "--image", paramLabel = "IMAGE", description = "Bundle reference cleave/bundle:sha256-<hex>") String image;
    @Mixin LimitOptions limits;
    @Mixin KeyValueOptions.Config config;

    @Override
    protected int execute() throws IOException {
      limits.check();
      ObjectNode body = JsonText.object();
      if (image != null) {
        body.put("image", image);
      }
      config.addTo(limits.addTo(body));
      requireChange(body);
      PlatformClient api = endpoint.client();
      JsonNode current = fn.find(api);
      apply(current, body, patch -> api.updateFn(JsonText.text(current, "id"), patch), fn.appName() + " " + fn.name);
      return 0;
    }
  }
}
