package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.CleaveApi;
import io.cleave.cli.api.FnLimits;
import io.cleave.client.JsonText;
import io.cleave.client.UserCommand;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave create app|fn|trigger}. */
@Command(
    name = "create",
    aliases = "c",
    description = "Create an app, a function (from an uploaded bundle reference) or a trigger.",
    subcommands = {CreateCommand.App.class, CreateCommand.Fn.class, CreateCommand.Trigger.class})
public final class CreateCommand {
  CreateCommand() {}

  @Command(name = "app", aliases = "a", description = "Create an app.")
  static final class App extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(paramLabel = "NAME") String name;

    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "App configuration (repeatable)")
    List<String> config = new ArrayList<>();

    @Option(names = "--annotation", paramLabel = "KEY=VALUE", description = "App annotation (repeatable)")
    List<String> annotations = new ArrayList<>();

    @Override
    protected int execute() throws IOException {
      ObjectNode body = JsonText.object().put("name", name);
      if (!config.isEmpty()) {
        body.set("config", KeyValues.parse("--config", config));
      }
      if (!annotations.isEmpty()) {
        body.set("annotations", KeyValues.parse("--annotation", annotations));
      }
      JsonNode app = endpoint.client().post("/v2/apps", body);
      System.out.println("Successfully created app: " + JsonText.text(app, "name"));
      return 0;
    }
  }

  @Command(name = "fn", aliases = {"function", "f"}, description = "Create a function from a bundle reference (cleave/bundle:sha256-<hex>); `cleave deploy` does this for you.")
  static final class Fn extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(index = "0", paramLabel = "APP") String appName;
    @Parameters(index = "1", paramLabel = "NAME") String name;
    @Parameters(index = "2", paramLabel = "IMAGE") String image;

    @Option(names = {"--memory", "-m"}, paramLabel = "MB", description = "Memory in MB, 1-8192 (server default 128)") Integer memory;
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Call timeout, 1-300 s (server default 30)") Integer timeout;
    @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "How long an idle instance is kept, 1-3600 s (server default 30)") Integer idleTimeout;

    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Function configuration (repeatable)")
    List<String> config = new ArrayList<>();

    @Override
    protected int execute() throws IOException {
      FnLimits.MEMORY.checkOption(memory);
      FnLimits.TIMEOUT.checkOption(timeout);
      FnLimits.IDLE_TIMEOUT.checkOption(idleTimeout);
      ObjectNode configBody = config.isEmpty() ? null : KeyValues.parse("--config", config);
      CleaveApi api = endpoint.client();
      JsonNode app = api.app(appName);
      ObjectNode body = JsonText.object().put("name", name).put("app_id", JsonText.text(app, "id")).put("image", image);
      if (memory != null) {
        body.put("memory", memory);
      }
      if (timeout != null) {
        body.put("timeout", timeout);
      }
      if (idleTimeout != null) {
        body.put("idle_timeout", idleTimeout);
      }
      if (configBody != null) {
        body.set("config", configBody);
      }
      JsonNode fn = api.post("/v2/fns", body);
      System.out.println("Successfully created function: " + JsonText.text(fn, "name") + " with " + JsonText.text(fn, "image"));
      return 0;
    }
  }

  @Command(name = "trigger", aliases = {"trig", "tr", "t"}, description = "Create an HTTP trigger for a function.")
  static final class Trigger extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(index = "0", paramLabel = "APP") String appName;
    @Parameters(index = "1", paramLabel = "FN") String fnName;
    @Parameters(index = "2", paramLabel = "NAME") String name;

    @Option(names = {"--source", "-s"}, paramLabel = "PATH", description = "Path under /t/APP (default: /NAME)") String source;
    @Option(names = {"--type", "-t"}, paramLabel = "TYPE", defaultValue = "http", description = "Trigger type (default: http)") String type;

    @Override
    protected int execute() throws IOException {
      CleaveApi api = endpoint.client();
      JsonNode app = api.app(appName);
      JsonNode fn = api.fn(app, fnName);
      String src = source == null ? "/" + name : source.startsWith("/") ? source : "/" + source;
      ObjectNode body = JsonText.object()
          .put("name", name).put("app_id", JsonText.text(app, "id")).put("fn_id", JsonText.text(fn, "id"))
          .put("type", type).put("source", src);
      JsonNode trigger = api.post("/v2/triggers", body);
      System.out.println("Successfully created trigger: " + JsonText.text(trigger, "name"));
      System.out.println("Trigger Endpoint: " + trigger.path("annotations").path(CleaveApi.TRIGGER_ENDPOINT).asText(""));
      return 0;
    }
  }
}
