package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code cleave keys} against a real server, and the CLI with keys of every scope. */
class KeysCommandTest {
  private static ApiServer server;

  @BeforeAll
  static void start() throws Exception {
    server = ApiServer.start("cli-keys", 1 << 20);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  /** The CLI with {@code key} instead of the server's admin key. */
  private static CliRun as(String key, String... args) {
    String[] full = new String[args.length + 4];
    System.arraycopy(args, 0, full, 0, args.length);
    full[args.length] = "--api-url";
    full[args.length + 1] = server.url;
    full[args.length + 2] = "--api-key";
    full[args.length + 3] = key;
    return CliRun.run(full);
  }

  @Test
  void keysAreCreatedListedUsedAndRevoked() throws Exception {
    server.ok("create", "app", "mine");
    server.ok("create", "app", "theirs");
    CliRun created = server.ok("keys", "create", "--role", "deploy", "--app", "mine");
    String key = created.out().strip();
    assertTrue(key.startsWith("clv_"), created::toString);
    assertTrue(created.err().contains("shown this once"), created::toString);

    CliRun listed = server.ok("keys", "list");
    String id = key.split("_")[1];
    assertTrue(listed.out().lines().anyMatch(l -> l.startsWith(id) && l.contains("deploy") && l.contains("mine")),
        listed::toString);
    assertFalse(listed.out().contains(key), "a list never shows a key");
    JsonNode json = Json.MAPPER.readTree(server.ok("keys", "list", "-o", "json").out());
    assertTrue(json.isArray() && json.toString().contains(id) && !json.toString().contains(key), json::toString);

    CliRun apps = as(key, "list", "apps");
    assertEquals(0, apps.exit(), apps::toString);
    assertTrue(apps.out().contains("mine") && !apps.out().contains("theirs"), apps::toString);
    CliRun refused = as(key, "config", "app", "theirs", "K", "v");
    assertEquals(1, refused.exit(), refused::toString);
    CliRun notAdmin = as(key, "keys", "list");
    assertEquals(1, notAdmin.exit(), notAdmin::toString);
    assertTrue(notAdmin.err().contains("needs an admin key"), notAdmin::toString);

    server.ok("keys", "revoke", id);
    CliRun revoked = as(key, "list", "apps");
    assertEquals(1, revoked.exit(), revoked::toString);
    assertTrue(revoked.err().contains("invalid or revoked API key") && revoked.err().contains("CLEAVE_API_KEY"),
        revoked::toString);
  }

  @Test
  void aKeyMadeToExpireSaysWhenAndIsRefusedAfter() throws Exception {
    server.ok("create", "app", "brief");
    CliRun created = server.ok("keys", "create", "--role", "invoke", "--app", "brief", "--expires-in", "1s");
    String key = created.out().strip();
    assertTrue(created.err().contains(", expiring 20"), created::toString);
    String id = key.split("_")[1];
    assertTrue(server.ok("keys", "list").out().lines().anyMatch(l -> l.startsWith(id) && !l.contains("never")),
        "the list says when it expires");
    Thread.sleep(1_200);
    CliRun refused = as(key, "invoke", "brief", "nothing");
    assertEquals(1, refused.exit(), refused::toString);
    assertTrue(refused.err().contains("API key expired at"), refused::toString);
    assertTrue(server.ok("keys", "list").out().lines().anyMatch(l -> l.startsWith(id) && l.endsWith("(expired)")),
        "the list says it expired");
  }

  @Test
  void anExpiryThatIsNotASpanIsAUsageError() {
    for (String span : new String[] {"soon", "0s", "3651d", "-1h", "1w"}) {
      CliRun r = server.cli("keys", "create", "--role", "metrics", "--expires-in", span);
      assertEquals(2, r.exit(), r::toString);
      assertTrue(r.err().contains("--expires-in expects"), r::toString);
    }
  }

  @Test
  void aScopedRoleNeedsAnAppAndTheOthersTakeNone() {
    CliRun noApp = server.cli("keys", "create", "--role", "invoke");
    assertEquals(2, noApp.exit(), noApp::toString);
    CliRun adminWithApp = server.cli("keys", "create", "--role", "admin", "--app", "mine");
    assertEquals(2, adminWithApp.exit(), adminWithApp::toString);
    CliRun badRole = server.cli("keys", "create", "--role", "root");
    assertEquals(2, badRole.exit(), badRole::toString);
  }
}
