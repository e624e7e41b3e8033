package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.CleaveApi;
import io.cleave.client.JsonText;
import io.cleave.client.UserCommand;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cleave delete app|fn|trigger}. */
@Command(
    name = "delete",
    aliases = {"d", "rm"},
    description = "Delete an app, a function or a trigger.",
    subcommands = {DeleteCommand.App.class, DeleteCommand.Fn.class, DeleteCommand.Trigger.class})
public final class DeleteCommand {
  DeleteCommand() {}

  @Command(name = "app", aliases = "a", description = "Delete an app (the server decides what happens to its functions).")
  static final class App extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(paramLabel = "APP") String appName;

    @Override
    protected int execute() throws IOException {
      CleaveApi api = endpoint.client();
      JsonNode app = api.app(appName);
      api.delete("/v2/apps/" + CleaveApi.segment(JsonText.text(app, "id")));
      System.out.println("App " + appName + " deleted");
      return 0;
    }
  }

  @Command(name = "fn", aliases = {"function", "f"}, description = "Delete a function.")
  static final class Fn extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(index = "0", paramLabel = "APP") String appName;
    @Parameters(index = "1", paramLabel = "FN") String fnName;

    @Override
    protected int execute() throws IOException {
      CleaveApi api = endpoint.client();
      JsonNode fn = api.fn(api.app(appName), fnName);
      api.delete("/v2/fns/" + CleaveApi.segment(JsonText.text(fn, "id")));
      System.out.println("Function " + fnName + " deleted");
      return 0;
    }
  }

  @Command(name = "trigger", aliases = {"trig", "tr", "t"}, description = "Delete a trigger.")
  static final class Trigger extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(index = "0", paramLabel = "APP") String appName;
    @Parameters(index = "1", paramLabel = "FN") String fnName;
    @Parameters(index = "2", paramLabel = "TRIGGER") String triggerName;

    @Override
    protected int execute() throws IOException {
      CleaveApi api = endpoint.client();
      JsonNode app = api.app(appName);
      JsonNode trigger = api.trigger(app, api.fn(app, fnName), triggerName);
      api.delete("/v2/triggers/" + CleaveApi.segment(JsonText.text(trigger, "id")));
      System.out.println(appName + " " + fnName + " " + triggerName + " deleted");
      return 0;
    }
  }
}
