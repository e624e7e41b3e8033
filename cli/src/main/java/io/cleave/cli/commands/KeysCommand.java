package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.TextTable;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import io.cleave.common.access.ApiKey;
import io.cleave.common.access.Role;
import java.io.IOException;
import java.time.Duration;
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

  @Command(name = "list", aliases = "ls", description = "List API keys: id, role, app, creation and expiry time (never the keys).")
  static final class ListKeys extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin OutputOption output;

    @Override
    protected int execute() throws IOException {
      List<JsonNode> keys = endpoint.client().keys();
      if (ListCommand.shownWithoutTable(keys, output, "No keys found")) {
        return 0;
      }
      TextTable t = new TextTable("ID", "ROLE", "APP", "CREATED", "EXPIRES");
      keys.forEach(k -> t.row(JsonText.text(k, "id"), JsonText.text(k, "role"), appOf(k),
          JsonText.text(k, "created_at"), expiryOf(k)));
      t.print(System.out);
      return 0;
    }

    /** When the key expires, {@code never}, or the time and {@code (expired)} once it has. */
    private static String expiryOf(JsonNode key) {
      String at = JsonText.text(key, "expires_at");
      return at.isEmpty() ? "never" : key.path("expired").asBoolean() ? at + " (expired)" : at;
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

    @Option(names = "--expires-in", paramLabel = "SPAN",
        description = "refuse the key after SPAN (90s, 30m, 12h, 30d; at most 3650d); default: until revoked")
    String expiresIn;

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
      Duration lifetime = expiresIn == null ? null : TimeSpan.parse(expiresIn)
          .filter(ApiKey::allowedLifetime)
          .orElseThrow(() -> new UsageFailure("--expires-in expects a span from 1s to 3650d such as 90s, 30m, 12h or 30d, got '"
              + expiresIn + "'"));
      PlatformClient api = endpoint.client();
      String appId = app == null ? null : JsonText.text(api.app(app), "id");
      JsonNode created = api.createKey(role, appId, lifetime);
      if (output.json()) {
        System.out.println(JsonText.pretty(created));
        return 0;
      }
      // The key alone on stdout, so KEY=$(cleave keys create ...) works; what it is on stderr.
      String expires = JsonText.text(created, "expires_at");
      System.err.println("Created " + role + " key " + JsonText.text(created, "id") + (app == null ? "" : " for app " + app)
          + (expires.isEmpty() ? "" : ", expiring " + expires) + "; it is shown this once:");
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
