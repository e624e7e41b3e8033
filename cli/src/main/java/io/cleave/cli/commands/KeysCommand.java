package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.TextTable;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import io.cleave.common.access.Role;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave keys list|create|revoke}: the server's API keys (an admin key is needed). */
@Command(
    name = "keys",
    aliases = "key",
    description = "List, create and revoke API keys (needs an admin key).",
    subcommands = {KeysCommand.ListKeys.class, KeysCommand.Create.class, KeysCommand.Revoke.class})
public final class KeysCommand {
  KeysCommand() {}

  @Command(name = "list", aliases = "ls", description = "List API keys: id, role, app, creation time (never the keys).")
  static final class ListKeys extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin OutputOption output;

    @Override
    protected int execute() throws IOException {
      List<JsonNode> keys = endpoint.client().keys();
      if (ListCommand.shownWithoutTable(keys, output, "No keys found")) {
        return 0;
      }
      TextTable t = new TextTable("ID", "ROLE", "APP", "CREATED");
      keys.forEach(k -> t.row(JsonText.text(k, "id"), JsonText.text(k, "role"), appOf(k),
          JsonText.text(k, "created_at")));
      t.print(System.out);
      return 0;
    }

    /** The app's name, or its id when it is gone (the key then grants nothing), or - for keys of no app. */
    private static String appOf(JsonNode key) {
      String name = JsonText.text(key, "app_name");
      String id = JsonText.text(key, "app_id");
      return !name.isEmpty() ? name : id.isEmpty() ? "-" : id + " (deleted)";
    }
  }

  @Command(name = "create", aliases = "c",
      description = "Create an API key and print it (it is shown this once; the server keeps only its hash).")
  static final class Create extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin OutputOption output;

    @Option(names = "--role", required = true, paramLabel = "ROLE",
        description = "admin (everything), deploy (manage and call one app's functions), invoke (call one app's"
            + " functions), metrics (scrape /metrics)")
    String role;

    @Option(names = "--app", paramLabel = "APP", description = "the app of a deploy or invoke key")
    String app;

    @Override
    protected int execute() throws IOException {
      Role parsed;
      try {
        parsed = Role.parse(role);
      } catch (IllegalArgumentException e) {
        throw new UsageFailure(e.getMessage());
      }
      if (parsed.appScoped() != (app != null)) {
        throw new UsageFailure(parsed.appScoped() ? "a " + role + " key needs --app APP" : "--app is for deploy and invoke keys");
      }
      PlatformClient api = endpoint.client();
      String appId = app == null ? null : JsonText.text(api.app(app), "id");
      JsonNode created = api.createKey(role, appId);
      if (output.json()) {
        System.out.println(JsonText.pretty(created));
        return 0;
      }
      // The key alone on stdout, so KEY=$(cleave keys create ...) works; what it is on stderr.
      System.err.println("Created " + role + " key " + JsonText.text(created, "id") + (app == null ? "" : " for app " + app)
          + "; it is shown this once:");
      System.out.println(JsonText.text(created, "key"));
      return 0;
    }
  }

  @Command(name = "revoke", aliases = {"delete", "rm"}, description = "Revoke an API key: every member refuses it at once.")
  static final class Revoke extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(index = "0", paramLabel = "ID", description = "the key's id, as `keys list` shows it") String id;

    @Override
    protected int execute() throws IOException {
      endpoint.client().revokeKey(id);
      System.out.println("Key " + id + " revoked");
      return 0;
    }
  }
}
