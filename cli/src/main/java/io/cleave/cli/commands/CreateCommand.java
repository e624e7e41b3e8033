package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.UserCommand;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave create app|fn|trigger}. */
@Command(
    name = "create",
    aliases = "c",
    description = "Create an app, a function (from an uploaded bundle reference) or a trigger.",
    resourceBundle = "io.cleave.cli.commands.OptionDescriptions",
    subcommands = {CreateCommand.App.class, CreateCommand.Fn.class, CreateCommand.Trigger.class})
public final class CreateCommand {
  CreateCommand() {}

  @Command(name = "app", aliases = "a", description = "Create an app.")
  static final class App extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(paramLabel = "NAME") String name;
    @Mixin KeyValueOptions.Config config;
    @Mixin KeyValueOptions.Annotations annotations;

    @Override
    protected int execute() throws IOException {
      ObjectNode body = annotations.addTo(config.addTo(JsonText.object().put("name", name)));
      JsonNode app = endpoint.client().createApp(body);
      System.out.println("Successfully created app: " + JsonText.text(app, "name"));
      return 0;
    }
  }

  @Command(name = "fn", aliases = {"function", "f"}, description = "Create a function from a bundle reference (cleave/bundle:sha256-<hex>); `cleave deploy` does this for you.")
  static final class Fn extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin AppParameter app;
    @Parameters(index = "1", paramLabel = "NAME") String name;
    @Parameters(index = "2", paramLabel = "IMAGE") String image;

    @Mixin LimitOptions limits;
    @Mixin KeyValueOptions.Config config;

    @Override
    protected int execute() throws IOException {
      limits.check();
      ObjectNode settings = config.addTo(limits.addTo(JsonText.object()));
      PlatformClient api = endpoint.client();
      ObjectNode body = JsonText.object().put("name", name).put("app_id", JsonText.text(app.find(api), "id")).put("image", image);
      body.setAll(settings);
      JsonNode fn = api.createFn(body);
      System.out.println("Successfully created function: " + JsonText.text(fn, "name") + " with " + JsonText.text(fn, "image"));
      return 0;
    }
  }

  @Command(name = "trigger", aliases = {"trig", "tr", "t"}, description = "Create an HTTP trigger for a function.")
  static final class Trigger extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin FnParameters fn;
    @Parameters(index = "2", paramLabel = "NAME") String name;

    @Option(names = {"--source", "-s"}, paramLabel = "PATH", description = "Path under /t/APP (default: /NAME)") String source;
    @Option(names = {"--type", "-t"}, paramLabel = "TYPE", defaultValue = "http", description = "Trigger type (default: http)") String type;

    @Override
    protected int execute() throws IOException {
      PlatformClient api = endpoint.client();
      JsonNode app = fn.app.find(api);
      JsonNode function = api.fn(app, fn.name);
      String src = source == null ? "/" + name : source.startsWith("/") ? source : "/" + source;
      ObjectNode body = JsonText.object()
          .put("name", name).put("app_id", JsonText.text(app, "id")).put("fn_id", JsonText.text(function, "id"))
          .put("type", type).put("source", src);
      JsonNode trigger = api.createTrigger(body);
      System.out.println("Successfully created trigger: " + JsonText.text(trigger, "name"));
      System.out.println("Trigger Endpoint: " + trigger.path("annotations").path(PlatformClient.TRIGGER_ENDPOINT).asText(""));
      return 0;
    }
  }
}
