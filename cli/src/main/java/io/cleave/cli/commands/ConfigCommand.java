package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.CliFailure;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code cleave config|get config|unset config} for apps and functions. Config changes are Fn
 * merge-patches ({@code PUT} with only the key), so other keys stay as they are.
 */
@Command(
    name = "config",
    aliases = "cf",
    description = "Set a config value of an app or a function.",
    subcommands = {ConfigCommand.SetApp.class, ConfigCommand.SetFn.class})
public final class ConfigCommand {
  ConfigCommand() {}

  /** The app or function a config command acts on, as the server has it, and how to patch it. */
  private record Target(JsonNode node, Patch patch) {}

  private interface Patch {
    void send(ObjectNode body) throws IOException;
  }

  /** A command on one config KEY of an app or a function. */
  private abstract static class OnKey extends UserCommand {
    @Mixin ApiEndpoint endpoint;

    abstract String key();

    /** Looks the app or function up. */
    abstract Target target(PlatformClient api) throws IOException;

    /** {@code APP KEY ...}. */
    abstract static class OfApp extends OnKey {
      @Mixin AppParameter app;
      @Parameters(index = "1", paramLabel = "KEY") String key;

      @Override
      String key() {
        return key;
      }

      @Override
      Target target(PlatformClient api) throws IOException {
        JsonNode node = app.find(api);
        return new Target(node, body -> api.updateApp(JsonText.text(node, "id"), body));
      }
    }

    /** {@code APP FN KEY ...}. */
    abstract static class OfFn extends OnKey {
      @Mixin FnParameters fn;
      @Parameters(index = "2", paramLabel = "KEY") String key;

      @Override
      String key() {
        return key;
      }

      @Override
      Target target(PlatformClient api) throws IOException {
        JsonNode node = fn.find(api);
        return new Target(node, body -> api.updateFn(JsonText.text(node, "id"), body));
      }
    }

    /**
     * Sets KEY (an empty VALUE removes it, as Fn's merge-patch does) and says what happened: Fn's
     * "updated KEY with VALUE", "removed KEY", or "unchanged" when nothing needed sending.
     */
    int set(String value, String what) throws IOException {
      String key = key();
      if (key.isEmpty()) {
        throw new UsageFailure("config key must not be empty");
      }
      Target target = target(endpoint.client());
      JsonNode old = target.node().path("config").get(key);
      boolean present = old != null && !old.isNull();
      if (value.isEmpty() && !present) {
        System.out.println(what + " unchanged: " + key + " is not set");
        return 0;
      }
      if (present && old.asText().equals(value)) {
        System.out.println(what + " unchanged: " + key + " is already " + value);
        return 0;
      }
      target.patch().send(PlatformClient.configPatch(key, value));
      System.out.println(value.isEmpty() ? what + " removed " + key : what + " updated " + key + " with " + value);
      return 0;
    }

    int print() throws IOException {
      JsonNode v = target(endpoint.client()).node().path("config").get(key());
      if (v == null || v.isNull()) {
        throw new CliFailure("config key " + key() + " does not exist");
      }
      System.out.println(v.asText());
      return 0;
    }

    int remove(String what) throws IOException {
      Target target = target(endpoint.client());
      if (!target.node().path("config").has(key())) {
        System.out.println("Config key '" + key() + "' does not exist. Nothing to do.");
        return 0;
      }
      target.patch().send(PlatformClient.configPatch(key(), ""));
      System.out.println("Removed key '" + key() + "' from " + what);
      return 0;
    }
  }

  @Command(name = "app", aliases = "a", description = "Set KEY to VALUE in an app's config (an empty VALUE removes KEY).")
  static final class SetApp extends OnKey.OfApp {
    @Parameters(index = "2", paramLabel = "VALUE") String value;

    @Override
    protected int execute() throws IOException {
      return set(value, app.name);
    }
  }

  @Command(name = "fn", aliases = {"function", "f"}, description = "Set KEY to VALUE in a function's config (an empty VALUE removes KEY).")
  static final class SetFn extends OnKey.OfFn {
    @Parameters(index = "3", paramLabel = "VALUE") String value;

    @Override
    protected int execute() throws IOException {
      return set(value, fn.appName() + " " + fn.name);
    }
  }

  /** {@code cleave get config app|fn}. */
  @Command(name = "get", description = "Get a config value.", subcommands = Get.Config.class)
  public static final class Get {
    Get() {}

    @Command(name = "config", aliases = {"cf", "cfg"}, description = "Print one config value of an app or a function.",
        subcommands = {Get.Config.App.class, Get.Config.Fn.class})
    static final class Config {
      Config() {}

      @Command(name = "app", aliases = "a", description = "Print KEY of an app's config.")
      static final class App extends OnKey.OfApp {
        @Override
        protected int execute() throws IOException {
          return print();
        }
      }

      @Command(name = "fn", aliases = {"function", "f"}, description = "Print KEY of a function's config.")
      static final class Fn extends OnKey.OfFn {
        @Override
        protected int execute() throws IOException {
          return print();
        }
      }
    }
  }

  /** {@code cleave unset config app|fn}. */
  @Command(name = "unset", description = "Remove a config value.", subcommands = Unset.Config.class)
  public static final class Unset {
    Unset() {}

    @Command(name = "config", aliases = {"cf", "cfg"}, description = "Remove KEY from the config of an app or a function.",
        subcommands = {Unset.Config.App.class, Unset.Config.Fn.class})
    static final class Config {
      Config() {}

      @Command(name = "app", aliases = "a", description = "Remove KEY from an app's config.")
      static final class App extends OnKey.OfApp {
        @Override
        protected int execute() throws IOException {
          return remove("app '" + app.name + "'");
        }
      }

      @Command(name = "fn", aliases = {"function", "f"}, description = "Remove KEY from a function's config.")
      static final class Fn extends OnKey.OfFn {
        @Override
        protected int execute() throws IOException {
          return remove("function '" + fn.name + "'");
        }
      }
    }
  }
}
