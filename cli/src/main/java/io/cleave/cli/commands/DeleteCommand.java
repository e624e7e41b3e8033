package io.cleave.cli.commands;

import io.cleave.client.ApiEndpoint;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.UserCommand;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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
    @Mixin AppParameter app;

    @Override
    protected int execute() throws IOException {
      PlatformClient api = endpoint.client();
      api.deleteApp(JsonText.text(app.find(api), "id"));
      System.out.println("App " + app.name + " deleted");
      return 0;
    }
  }

  @Command(name = "fn", aliases = {"function", "f"}, description = "Delete a function.")
  static final class Fn extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin FnParameters fn;

    @Override
    protected int execute() throws IOException {
      PlatformClient api = endpoint.client();
      api.deleteFn(JsonText.text(fn.find(api), "id"));
      System.out.println("Function " + fn.name + " deleted");
      return 0;
    }
  }

  @Command(name = "trigger", aliases = {"trig", "tr", "t"}, description = "Delete a trigger.")
  static final class Trigger extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin TriggerParameters trigger;

    @Override
    protected int execute() throws IOException {
      PlatformClient api = endpoint.client();
      api.deleteTrigger(JsonText.text(trigger.find(api), "id"));
      System.out.println(trigger.fn.appName() + " " + trigger.fn.name + " " + trigger.name + " deleted");
      return 0;
    }
  }
}
