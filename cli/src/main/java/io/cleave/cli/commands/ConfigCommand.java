package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.CleaveApi;
import io.cleave.client.CliFailure;
import io.cleave.client.JsonText;
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

  /** The app or function a config command addresses, with its API path. */
  private record Target(JsonNode node, String path) {}

  private static Target app(CleaveApi api, String appName) throws IOException {
    JsonNode app = api.app(appName);
    return new Target(app, "/v2/apps/" + CleaveApi.segment(JsonText.text(app, "id")));
  }

  private static Target fn(CleaveApi api, String appName, String fnName) throws IOException {
    JsonNode fn = api.fn(api.app(appName), fnName);
    return new Target(fn, "/v2/fns/" + CleaveApi.segment(JsonText.text(fn, "id")));
  }

  private static void requireKey(String key) {
    if (key.isEmpty()) {
      throw new UsageFailure("config key must not be empty");
    }
  }

  /**
   * Sets KEY (an empty VALUE removes it, as Fn's merge-patch does) and says what happened: Fn's
   * "updated KEY with VALUE", "removed KEY", or "unchanged" when nothing needed sending.
   */
  private static int set(CleaveApi api, Target target, String key, String value, String what) throws IOException {
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
    api.put(target.path(), CleaveApi.configPatch(key, value));
    System.out.println(value.isEmpty() ? what + " removed " + key : what + " updated " + key + " with " + value);
    return 0;
  }

  @Command(name = "app", aliases = "a", description = "Set KEY to VALUE in an app's config (an empty VALUE removes KEY).")
  static final class SetApp extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(index = "0", paramLabel = "APP") String appName;
    @Parameters(index = "1", paramLabel = "KEY") String key;
    @Parameters(index = "2", paramLabel = "VALUE") String value;

    @Override
    protected int execute() throws IOException {
      requireKey(key);
      CleaveApi api = endpoint.client();
      return set(api, app(api, appName), key, value, appName);
    }
  }

  @Command(name = "fn", aliases = {"function", "f"}, description = "Set KEY to VALUE in a function's config (an empty VALUE removes KEY).")
  static final class SetFn extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(index = "0", paramLabel = "APP") String appName;
    @Parameters(index = "1", paramLabel = "FN") String fnName;
    @Parameters(index = "2", paramLabel = "KEY") String key;
    @Parameters(index = "3", paramLabel = "VALUE") String value;

    @Override
    protected int execute() throws IOException {
      requireKey(key);
      CleaveApi api = endpoint.client();
      return set(api, fn(api, appName, fnName), key, value, appName + " " + fnName);
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
      static final class App extends UserCommand {
        @Mixin ApiEndpoint endpoint;
        @Parameters(index = "0", paramLabel = "APP") String appName;
        @Parameters(index = "1", paramLabel = "KEY") String key;

        @Override
        protected int execute() throws IOException {
          return printValue(app(endpoint.client(), appName).node(), key);
        }
      }

      @Command(name = "fn", aliases = {"function", "f"}, description = "Print KEY of a function's config.")
      static final class Fn extends UserCommand {
        @Mixin ApiEndpoint endpoint;
        @Parameters(index = "0", paramLabel = "APP") String appName;
        @Parameters(index = "1", paramLabel = "FN") String fnName;
        @Parameters(index = "2", paramLabel = "KEY") String key;

        @Override
        protected int execute() throws IOException {
          return printValue(fn(endpoint.client(), appName, fnName).node(), key);
        }
      }
    }
  }

  private static int printValue(JsonNode owner, String key) {
    JsonNode v = owner.path("config").get(key);
    if (v == null || v.isNull()) {
      throw new CliFailure("config key " + key + " does not exist");
    }
    System.out.println(v.asText());
    return 0;
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
      static final class App extends UserCommand {
        @Mixin ApiEndpoint endpoint;
        @Parameters(index = "0", paramLabel = "APP") String appName;
        @Parameters(index = "1", paramLabel = "KEY") String key;

        @Override
        protected int execute() throws IOException {
          CleaveApi api = endpoint.client();
          return remove(api, app(api, appName), key, "app '" + appName + "'");
        }
      }

      @Command(name = "fn", aliases = {"function", "f"}, description = "Remove KEY from a function's config.")
      static final class Fn extends UserCommand {
        @Mixin ApiEndpoint endpoint;
        @Parameters(index = "0", paramLabel = "APP") String appName;
        @Parameters(index = "1", paramLabel = "FN") String fnName;
        @Parameters(index = "2", paramLabel = "KEY") String key;

        @Override
        protected int execute() throws IOException {
          CleaveApi api = endpoint.client();
          return remove(api, fn(api, appName, fnName), key, "function '" + fnName + "'");
        }
      }
    }
  }

  private static int remove(CleaveApi api, Target target, String key, String what) throws IOException {
    if (!target.node().path("config").has(key)) {
      System.out.println("Config key '" + key + "' does not exist. Nothing to do.");
      return 0;
    }
    api.put(target.path(), CleaveApi.configPatch(key, ""));
    System.out.println("Removed key '" + key + "' from " + what);
    return 0;
  }
}
