package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.CleaveApi;
import io.cleave.cli.api.FnLimits;
import io.cleave.client.JsonText;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave update app|fn}: change fields in place (Fn merge-patch; unnamed fields stay). */
@Command(
    name = "update",
    aliases = "u",
    description = "Update an app or a function.",
    subcommands = {UpdateCommand.App.class, UpdateCommand.Fn.class})
public final class UpdateCommand {
  UpdateCommand() {}

  private static void requireChange(ObjectNode body) {
    if (body.isEmpty()) {
      throw new UsageFailure("nothing to update: give at least one option");
    }
  }

  /** Sends the patch only when it changes something, and says which. */
  private static void apply(CleaveApi api, String path, JsonNode current, ObjectNode body, String what)
      throws IOException {
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
      api.put(path, body);
    }
    System.out.println(changes.report(what));
  }

  @Command(name = "app", aliases = "a", description = "Update an app's config or annotations.")
  static final class App extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(paramLabel = "APP") String appName;

    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Set a config value; an empty VALUE removes the key (repeatable)")
    List<String> config = new ArrayList<>();

    @Option(names = "--annotation", paramLabel = "KEY=VALUE", description = "Set an annotation; an empty VALUE removes it (repeatable)")
    List<String> annotations = new ArrayList<>();

    @Override
    protected int execute() throws IOException {
      ObjectNode body = JsonText.object();
      if (!config.isEmpty()) {
        body.set("config", KeyValues.parse("--config", config));
      }
      if (!annotations.isEmpty()) {
        body.set("annotations", KeyValues.parse("--annotation", annotations));
      }
      requireChange(body);
      CleaveApi api = endpoint.client();
      JsonNode app = api.app(appName);
      apply(api, "/v2/apps/" + CleaveApi.segment(JsonText.text(app, "id")), app, body, "app " + appName);
      return 0;
    }
  }

  @Command(name = "fn", aliases = {"function", "f"}, description = "Update a function's limits, image or config.")
  static final class Fn extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(index = "0", paramLabel = "APP") String appName;
    @Parameters(index = "1", paramLabel = "FN") String fnName;

    @Option(names = "--image", paramLabel = "IMAGE", description = "Bundle reference cleave/bundle:sha256-<hex>") String image;
    @Option(names = {"--memory", "-m"}, paramLabel = "MB", description = "Memory in MB, 1-8192") Integer memory;
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Call timeout, 1-300 s") Integer timeout;
    @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "How long an idle instance is kept, 1-3600 s") Integer idleTimeout;

    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Set a config value; an empty VALUE removes the key (repeatable)")
    List<String> config = new ArrayList<>();

    @Override
    protected int execute() throws IOException {
      FnLimits.MEMORY.checkOption(memory);
      FnLimits.TIMEOUT.checkOption(timeout);
      FnLimits.IDLE_TIMEOUT.checkOption(idleTimeout);
      ObjectNode body = JsonText.object();
      if (image != null) {
        body.put("image", image);
      }
      if (memory != null) {
        body.put("memory", memory);
      }
      if (timeout != null) {
        body.put("timeout", timeout);
      }
      if (idleTimeout != null) {
        body.put("idle_timeout", idleTimeout);
      }
      if (!config.isEmpty()) {
        body.set("config", KeyValues.parse("--config", config));
      }
      requireChange(body);
      CleaveApi api = endpoint.client();
      JsonNode fn = api.fn(api.app(appName), fnName);
      apply(api, "/v2/fns/" + CleaveApi.segment(JsonText.text(fn, "id")), fn, body, appName + " " + fnName);
      return 0;
    }
  }
}
