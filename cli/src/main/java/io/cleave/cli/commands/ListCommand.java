package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.TextTable;
import io.cleave.client.UserCommand;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cleave list apps|fns|triggers|config}: every item, all pages, as a table or JSON. */
@Command(
    name = "list",
    aliases = "ls",
    description = "List apps, functions, triggers or config.",
    subcommands = {
      ListCommand.Apps.class,
      ListCommand.Fns.class,
      ListCommand.Triggers.class,
      ListCommand.Config.class
    })
public final class ListCommand {
  ListCommand() {}

  @Command(name = "apps", aliases = {"app", "a"}, description = "List apps.")
  static final class Apps extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin OutputOption output;

    @Override
    protected int execute() throws IOException {
      List<JsonNode> apps = endpoint.client().apps();
      if (shownWithoutTable(apps, output, "No apps found")) {
        return 0;
      }
      TextTable t = new TextTable("NAME", "ID");
      apps.forEach(app -> t.row(JsonText.text(app, "name"), JsonText.text(app, "id")));
      t.print(System.out);
      return 0;
    }
  }

  @Command(name = "fns", aliases = {"functions", "function", "fn", "f"}, description = "List the functions of an app.")
  static final class Fns extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin OutputOption output;
    @Mixin AppParameter app;

    @Override
    protected int execute() throws IOException {
      PlatformClient api = endpoint.client();
      List<JsonNode> fns = api.fns(JsonText.text(app.find(api), "id"));
      if (shownWithoutTable(fns, output, "No functions found for app: " + app.name)) {
        return 0;
      }
      TextTable t = new TextTable("NAME", "IMAGE", "ID");
      fns.forEach(fn -> t.row(JsonText.text(fn, "name"), JsonText.text(fn, "image"), JsonText.text(fn, "id")));
      t.print(System.out);
      return 0;
    }
  }

  @Command(name = "triggers", aliases = {"trigger", "trig", "tr", "t"}, description = "List the triggers of an app, or of one of its functions.")
  static final class Triggers extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin OutputOption output;
    @Mixin AppParameter app;
    @Parameters(index = "1", paramLabel = "FN", arity = "0..1") String fnName;

    @Override
    protected int execute() throws IOException {
      PlatformClient api = endpoint.client();
      JsonNode appNode = app.find(api);
      String fnId = fnName == null ? null : JsonText.text(api.fn(appNode, fnName), "id");
      List<JsonNode> triggers = api.triggers(JsonText.text(appNode, "id"), fnId);
      if (shownWithoutTable(triggers, output,
          fnName == null ? "No triggers found for app: " + app.name : "No triggers found for function: " + fnName)) {
        return 0;
      }
      // Like fn: the FUNCTION column only when the listing spans the whole app.
      if (fnName != null) {
        TextTable t = new TextTable("NAME", "ID", "TYPE", "SOURCE", "ENDPOINT");
        triggers.forEach(tr -> t.row(JsonText.text(tr, "name"), JsonText.text(tr, "id"), JsonText.text(tr, "type"),
            JsonText.text(tr, "source"), tr.path("annotations").path(PlatformClient.TRIGGER_ENDPOINT).asText("")));
        t.print(System.out);
        return 0;
      }
      Map<String, String> fnNames = new HashMap<>();
      api.fns(JsonText.text(appNode, "id"))
          .forEach(fn -> fnNames.put(JsonText.text(fn, "id"), JsonText.text(fn, "name")));
      TextTable t = new TextTable("FUNCTION", "NAME", "ID", "TYPE", "SOURCE", "ENDPOINT");
      for (JsonNode tr : triggers) {
        t.row(fnNames.getOrDefault(JsonText.text(tr, "fn_id"), JsonText.text(tr, "fn_id")),
            JsonText.text(tr, "name"), JsonText.text(tr, "id"), JsonText.text(tr, "type"),
            JsonText.text(tr, "source"), tr.path("annotations").path(PlatformClient.TRIGGER_ENDPOINT).asText(""));
      }
      t.print(System.out);
      return 0;
    }
  }

  @Command(name = "config", aliases = {"cf", "cfg"}, description = "List the config of an app or a function.",
      subcommands = {Config.AppConfig.class, Config.FnConfig.class})
  static final class Config {
    Config() {}

    @Command(name = "app", aliases = "a", description = "List an app's config.")
    static final class AppConfig extends UserCommand {
      @Mixin ApiEndpoint endpoint;
      @Mixin OutputOption output;
      @Mixin AppParameter app;

      @Override
      protected int execute() throws IOException {
        return printConfig(app.find(endpoint.client()), output, "app: " + app.name);
      }
    }

    @Command(name = "fn", aliases = {"function", "f"}, description = "List a function's config.")
    static final class FnConfig extends UserCommand {
      @Mixin ApiEndpoint endpoint;
      @Mixin OutputOption output;
      @Mixin FnParameters fn;

      @Override
      protected int execute() throws IOException {
        return printConfig(fn.find(endpoint.client()), output, "function: " + fn.name);
      }
    }
  }

  /**
   * What every listing shows when it shows no table: with {@code -o json} the items as JSON, and
   * when there are none {@code none} on stderr. Answers whether it showed them.
   */
  static boolean shownWithoutTable(List<JsonNode> items, OutputOption output, String none) {
    if (output.json()) {
      printJson(items);
      return true;
    }
    if (items.isEmpty()) {
      System.err.println(none);
      return true;
    }
    return false;
  }

  /**
   * The {@code -o json} convention of every list: one JSON array of the objects exactly as the
   * API answered them (all pages joined), so scripts see the same fields as {@code inspect}.
   */
  private static void printJson(List<JsonNode> items) {
    ArrayNode a = Json.MAPPER.createArrayNode();
    items.forEach(a::add);
    System.out.println(JsonText.pretty(a));
  }

  static int printConfig(JsonNode owner, OutputOption output, String what) {
    JsonNode config = owner.path("config");
    if (output.json()) {
      System.out.println(JsonText.pretty(config.isObject() ? config : JsonText.object()));
      return 0;
    }
    if (!config.isObject() || config.isEmpty()) {
      System.err.println("No config found for " + what);
      return 0;
    }
    TextTable t = new TextTable("KEY", "VALUE");
    config.fields().forEachRemaining(e -> t.row(e.getKey(), e.getValue().asText()));
    t.print(System.out);
    return 0;
  }
}
