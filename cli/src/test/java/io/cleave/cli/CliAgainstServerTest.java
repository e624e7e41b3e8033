package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.http.Http;
import io.cleave.common.json.Json;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a real server composition (port 0, temporary data dir, its own cluster). */
class CliAgainstServerTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** Small enough that a test can exceed it cheaply. */
  static final long BUNDLE_LIMIT = 1024 * 1024;

  static ApiServer server;
  static String url;

  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    server = ApiServer.start("cli-test", BUNDLE_LIMIT);
    url = server.url;
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  static CliRun ok(String... args) {
    return server.ok(args);
  }

  static CliRun fails(String expectedMessage, String... args) {
    return server.fails(expectedMessage, args);
  }

  static JsonNode json(CliRun r) throws Exception {
    return Json.MAPPER.readTree(r.out());
  }

  static JsonNode api(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + Http.TEST_ADMIN_KEY);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() / 100 == 2, () -> method + " " + path + " -> " + r.statusCode() + " " + r.body());
    return r.body().isEmpty() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(r.body());
  }

  private Path newFunction(String name) {
    Path dir = tmp.resolve(name);
    assertEquals(0, CliRun.run("init", "--runtime", "python", "--trigger", "http", dir.toString()).exit());
    return dir;
  }

  private static String version(Path dir) throws Exception {
    String yaml = Files.readString(dir.resolve("func.yaml"));
    return yaml.lines().filter(l -> l.startsWith("version: ")).findFirst().orElseThrow().substring(9);
  }

  @Test
  void deployCreatesAppFunctionAndTriggerThenRedeployUpdatesThem() throws Exception {
    Path dir = newFunction("hello");
    CliRun first = ok("deploy", "--app", "demo", "--create-app", dir.toString());
    assertEquals("0.0.2", version(dir));
    assertTrue(first.out().contains("Deploying hello to app: demo\n"), first::toString);
    assertTrue(first.out().contains("Successfully created app: demo\n"), first::toString);
    assertTrue(first.out().contains("Updating function hello using image cleave/bundle:sha256-"), first::toString);
    assertTrue(first.out().contains("Successfully created function: hello with cleave/bundle:sha256-"), first::toString);
    assertTrue(first.out().contains("Successfully created trigger: hello\n"), first::toString);
    assertTrue(first.out().contains("Trigger Endpoint: " + url + "/t/demo/hello\n"), first::toString);
    assertTrue(first.err().contains("Uploading bundle ["), first::toString);
    assertTrue(first.err().contains("100%"), first::toString);

    JsonNode fns = json(ok("list", "fns", "demo", "--output", "json"));
    assertEquals(1, fns.size());
    // -o json prints the API's objects whole, as inspect does.
    assertEquals(json(ok("inspect", "fn", "demo", "hello")), fns.get(0));
    String image = fns.get(0).get("image").asText();
    assertTrue(image.matches("cleave/bundle:sha256-[0-9a-f]{64}"), image);
    assertEquals(List.of("func.py", "func.yaml", "requirements.txt"), bundleFiles(image));

    // The server's copy of the code is what the directory holds, bumped func.yaml included.
    Files.writeString(dir.resolve("func.py"), Files.readString(dir.resolve("func.py")).replace("World", "Cleave"));
    Files.writeString(dir.resolve("func.yaml"), Files.readString(dir.resolve("func.yaml"))
        .replace("memory: 256\n", "memory: 512\ntimeout: 45\nconfig:\n  GREETING: hi\n"));
    CliRun second = ok("deploy", "--app", "demo", dir.toString());
    assertEquals("0.0.3", version(dir));
    assertFalse(second.out().contains("Successfully created app"), second::toString);
    assertTrue(second.out().contains("Successfully updated function: hello with cleave/bundle:sha256-"), second::toString);
    assertTrue(second.out().contains("Successfully updated trigger: hello\n"), second::toString);

    JsonNode fn = json(ok("inspect", "fn", "demo", "hello"));
    assertNotEquals(image, fn.get("image").asText());
    assertEquals(512, fn.get("memory").asInt());
    assertEquals(45, fn.get("timeout").asInt());
    assertEquals("hi", fn.get("config").get("GREETING").asText());
    assertEquals(1, json(ok("list", "triggers", "demo", "-o", "json")).size());
    assertEquals(1, json(ok("list", "fns", "demo", "-o", "json")).size());

    CliRun same = ok("deploy", "--app", "demo", "--no-bump", dir.toString());
    assertEquals("0.0.3", version(dir));
    assertTrue(same.out().contains("Successfully updated function: hello"), same::toString);
  }

  /** Names of the regular files in the bundle the server serves for this image. */
  private static List<String> bundleFiles(String image) throws Exception {
    String digest = io.cleave.common.bundle.BundleDigest.fromImage(image).orElseThrow().toString();
    HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/cleave/v1/bundles/" + digest))
        .header("Authorization", "Bearer " + Http.TEST_ADMIN_KEY).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(r.body()))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (e.isFile()) {
          names.add(e.getName());
        }
      }
    }
    return names;
  }

  @Test
  void deployToAMissingAppWithoutCreateAppChangesNothing() throws Exception {
    Path dir = newFunction("lonely");
    String before = Files.readString(dir.resolve("func.yaml"));
    fails("cleave: app nowhere not found (add --create-app to create it)", "deploy", "--app", "nowhere", dir.toString());
    assertEquals(before, Files.readString(dir.resolve("func.yaml")));
    assertEquals(0, api("GET", "/v2/apps?name=nowhere", null).get("items").size());
  }

  @Test
  void deployRefusesADirectoryWithoutFuncYaml() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("empty"));
    fails("no func.yaml in", "deploy", "--app", "demo", "--create-app", dir.toString());
  }

  @Test
  void anUnpackableDirectoryStopsTheDeployBeforeTheServerIsTouched() throws Exception {
    Path dir = newFunction("broken");
    // A pipe cannot be packed: the deploy stops before anything is created on the server.
    Path fifo = dir.resolve("pipe");
    Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertEquals(0, mk.waitFor());
    fails("pipe is not a regular file", "deploy", "--app", "undone", "--create-app", dir.toString());
    assertEquals(0, api("GET", "/v2/apps?name=undone", null).get("items").size());
    assertEquals("0.0.1", version(dir));
  }

  @Test
  void aRefusedUploadRemovesTheNewAppAndFunctionAndRestoresFuncYaml() throws Exception {
    Path dir = newFunction("heavy");
    byte[] noise = new byte[(int) BUNDLE_LIMIT + 512 * 1024];
    new java.util.Random(7).nextBytes(noise);
    Files.write(dir.resolve("noise.bin"), noise);
    fails("cleave: bundle upload failed: bundle larger than the limit of " + BUNDLE_LIMIT + " bytes",
        "deploy", "--app", "toobig", "--create-app", dir.toString());
    assertEquals(0, api("GET", "/v2/apps?name=toobig", null).get("items").size());
    assertEquals("0.0.1", version(dir));
  }

  @Test
  void aFailedRedeployLeavesTheFunctionAsItWas() throws Exception {
    Path dir = newFunction("steady");
    ok("deploy", "--app", "steady", "--create-app", dir.toString());
    JsonNode before = json(ok("inspect", "fn", "steady", "steady"));
    String yaml = Files.readString(dir.resolve("func.yaml"));

    // Bad settings the CLI does not check itself: the server refuses them and the new code is never uploaded.
    String badYaml = yaml.replace("memory: 256\n", "memory: 512\nannotations:\n  " + "k".repeat(129) + ": v\n");
    Files.writeString(dir.resolve("func.yaml"), badYaml);
    Files.writeString(dir.resolve("func.py"), "changed = True\n");
    fails("Invalid annotation key length", "deploy", "--app", "steady", dir.toString());
    assertEquals(badYaml, Files.readString(dir.resolve("func.yaml")));
    JsonNode afterBadSettings = json(ok("inspect", "fn", "steady", "steady"));
    assertEquals(before.get("image"), afterBadSettings.get("image"));
    assertEquals(256, afterBadSettings.get("memory").asInt());

    // Good settings but a refused upload: the settings are put back.
    Files.writeString(dir.resolve("func.yaml"), yaml.replace("memory: 256\n", "memory: 512\nconfig:\n  NEW: x\n"));
    byte[] noise = new byte[(int) BUNDLE_LIMIT + 512 * 1024];
    new java.util.Random(8).nextBytes(noise);
    Files.write(dir.resolve("noise.bin"), noise);
    fails("bundle larger than the limit", "deploy", "--app", "steady", dir.toString());
    JsonNode afterRefusedUpload = json(ok("inspect", "fn", "steady", "steady"));
    assertEquals(before.get("image"), afterRefusedUpload.get("image"));
    assertEquals(256, afterRefusedUpload.get("memory").asInt());
    assertFalse(afterRefusedUpload.path("config").has("NEW"), afterRefusedUpload::toString);
    assertEquals("0.0.2", version(dir));
  }

  @Test
  void listFollowsCursorsPastOnePage() throws Exception {
    String prefix = "page-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    for (int i = 0; i < 105; i++) {
      api("POST", "/v2/apps", "{\"name\":\"" + prefix + String.format("%03d", i) + "\"}");
    }
    JsonNode apps = json(ok("list", "apps", "--output", "json"));
    List<String> names = new ArrayList<>();
    apps.forEach(a -> names.add(a.get("name").asText()));
    for (int i = 0; i < 105; i++) {
      assertTrue(names.contains(prefix + String.format("%03d", i)), "missing app " + i);
    }
    CliRun table = ok("list", "apps");
    assertTrue(table.out().startsWith("NAME"), table::toString);
    assertTrue(table.out().lines().findFirst().orElseThrow().matches("NAME\\s+ID"), table::toString);
    assertTrue(table.out().contains(prefix + "104"), table::toString);
  }

  @Test
  void tablesShowFnColumns() throws Exception {
    Path dir = newFunction("tabled");
    ok("deploy", "--app", "tables", "--create-app", dir.toString());
    CliRun fns = ok("list", "fns", "tables");
    List<String> lines = fns.out().lines().toList();
    assertTrue(lines.get(0).matches("NAME\\s+IMAGE\\s+ID"), fns::toString);
    assertTrue(lines.get(1).matches("tabled\\s+cleave/bundle:sha256-[0-9a-f]{64}\\s+\\S+"), fns::toString);
    CliRun triggers = ok("list", "triggers", "tables");
    List<String> tl = triggers.out().lines().toList();
    assertTrue(tl.get(0).matches("FUNCTION\\s+NAME\\s+ID\\s+TYPE\\s+SOURCE\\s+ENDPOINT"), triggers::toString);
    assertTrue(tl.get(1).matches("tabled\\s+tabled\\s+\\S+\\s+http\\s+/tabled\\s+" + url + "/t/tables/tabled"), triggers::toString);
    CliRun one = ok("list", "triggers", "tables", "tabled");
    List<String> ol = one.out().lines().toList();
    assertTrue(ol.get(0).matches("NAME\\s+ID\\s+TYPE\\s+SOURCE\\s+ENDPOINT"), one::toString);
    assertTrue(ol.get(1).matches("tabled\\s+\\S+\\s+http\\s+/tabled\\s+" + url + "/t/tables/tabled"), one::toString);
    CliRun apps = ok("list", "apps");
    assertTrue(apps.out().lines().anyMatch(l -> l.matches("tables\\s+\\S+")), apps::toString);
  }

  @Test
  void configCommandsSetGetListAndUnset() throws Exception {
    ok("create", "app", "cfg", "--config", "A=1", "--config", "B=two words");
    assertEquals("1\n", ok("get", "config", "app", "cfg", "A").out());
    CliRun set = ok("config", "app", "cfg", "C", "3");
    assertEquals("cfg updated C with 3\n", set.out());
    assertEquals("cfg unchanged: C is already 3\n", ok("config", "app", "cfg", "C", "3").out());
    ok("config", "app", "cfg", "D", "4");
    // An empty value removes the key (Fn's merge-patch), and the CLI says so.
    assertEquals("cfg removed D\n", ok("config", "app", "cfg", "D", "").out());
    fails("config key D does not exist", "get", "config", "app", "cfg", "D");
    assertEquals("cfg unchanged: D is not set\n", ok("config", "app", "cfg", "D", "").out());
    CliRun list = ok("list", "config", "app", "cfg");
    assertTrue(list.out().lines().anyMatch(l -> l.matches("B\\s+two words")), list::toString);
    assertTrue(list.out().lines().anyMatch(l -> l.matches("C\\s+3")), list::toString);
    ok("unset", "config", "app", "cfg", "A");
    fails("config key A does not exist", "get", "config", "app", "cfg", "A");
    assertEquals("two words\n", ok("get", "config", "app", "cfg", "B").out());

    Path dir = newFunction("configured");
    ok("deploy", "--app", "cfg", dir.toString());
    ok("config", "fn", "cfg", "configured", "DB", "postgres://x");
    assertEquals("postgres://x\n", ok("get", "config", "fn", "cfg", "configured", "DB").out());
    assertEquals("postgres://x", json(ok("list", "config", "fn", "cfg", "configured", "-o", "json")).get("DB").asText());
    ok("unset", "config", "fn", "cfg", "configured", "DB");
    CliRun none = ok("list", "config", "fn", "cfg", "configured");
    assertEquals("", none.out());
    assertTrue(none.err().contains("No config found for function: configured"), none::toString);
  }

  @Test
  void inspectPrintsJsonAndSingleFields() throws Exception {
    Path dir = newFunction("looked");
    ok("deploy", "--app", "insp", "--create-app", dir.toString());
    JsonNode app = json(ok("inspect", "app", "insp"));
    assertEquals("insp", app.get("name").asText());
    assertEquals("\"insp\"\n", ok("inspect", "app", "insp", "name").out());
    JsonNode fn = json(ok("inspect", "fn", "insp", "looked"));
    String endpoint = url + "/invoke/" + fn.get("id").asText();
    assertEquals("\"" + endpoint + "\"\n", ok("inspect", "fn", "insp", "looked", "annotations.fnproject.io/fn/invokeEndpoint").out());
    assertEquals(endpoint + "\n", ok("inspect", "fn", "insp", "looked", "--endpoint").out());
    assertEquals("256\n", ok("inspect", "fn", "insp", "looked", "memory").out());
    JsonNode trigger = json(ok("inspect", "trigger", "insp", "looked", "looked"));
    assertEquals("/looked", trigger.get("source").asText());
    assertEquals(url + "/t/insp/looked\n", ok("inspect", "trigger", "insp", "looked", "looked", "--endpoint").out());
    fails("no field nope", "inspect", "app", "insp", "nope");
    fails("cleave: app ghost not found", "inspect", "app", "ghost");
    fails("function ghost not found in app insp", "inspect", "fn", "insp", "ghost");
    fails("trigger ghost not found for function looked", "inspect", "trigger", "insp", "looked", "ghost");
  }

  @Test
  void deleteRemovesTriggerFunctionAndApp() throws Exception {
    Path dir = newFunction("doomed");
    ok("deploy", "--app", "del", "--create-app", dir.toString());
    assertEquals("del doomed doomed deleted\n", ok("delete", "trigger", "del", "doomed", "doomed").out());
    assertEquals(0, json(ok("list", "triggers", "del", "-o", "json")).size());
    assertEquals("Function doomed deleted\n", ok("delete", "fn", "del", "doomed").out());
    fails("function doomed not found in app del", "inspect", "fn", "del", "doomed");
    assertEquals("App del deleted\n", ok("delete", "app", "del").out());
    fails("app del not found", "list", "fns", "del");
  }

  @Test
  void createShowsTheServersMessageOnConflictAndBadInput() throws Exception {
    ok("create", "app", "twice");
    CliRun again = fails("cleave: ", "create", "app", "twice");
    assertTrue(again.err().toLowerCase().contains("exists"), again::toString);
    fails("Invalid app name", "create", "app", "bad name");
    Path dir = newFunction("made");
    ok("deploy", "--app", "twice", dir.toString());
    String image = json(ok("inspect", "fn", "twice", "made")).get("image").asText();
    CliRun fn = ok("create", "fn", "twice", "copy", image, "--memory", "128");
    assertEquals("Successfully created function: copy with " + image + "\n", fn.out());
    assertEquals("twice copy updated: memory 128 -> 384, config K set\n",
        ok("update", "fn", "twice", "copy", "--memory", "384", "--config", "K=v").out());
    JsonNode copy = json(ok("inspect", "fn", "twice", "copy"));
    assertEquals(384, copy.get("memory").asInt());
    assertEquals("v", copy.get("config").get("K").asText());
    assertEquals("twice copy unchanged (memory already 384; config K already v)\n",
        ok("update", "fn", "twice", "copy", "--memory", "384", "--config", "K=v").out());
    assertEquals(copy.get("updated_at"), json(ok("inspect", "fn", "twice", "copy")).get("updated_at"));
    assertEquals("twice copy updated: timeout 30 -> 45, removed config K\n",
        ok("update", "fn", "twice", "copy", "--timeout", "45", "--config", "K=").out());
    assertFalse(json(ok("inspect", "fn", "twice", "copy")).path("config").has("K"));
    assertEquals("app twice updated: config X set\n", ok("update", "app", "twice", "--config", "X=1").out());
    assertEquals("1\n", ok("get", "config", "app", "twice", "X").out());
    CliRun trig = ok("create", "trigger", "twice", "copy", "copy-t", "--source", "/copy");
    assertTrue(trig.out().contains("Trigger Endpoint: " + url + "/t/twice/copy"), trig::toString);
  }

  @Test
  void invokeOfAnUnknownFunctionExplainsAndFails() {
    ok("create", "app", "inv");
    fails("cleave: function nope not found in app inv", "invoke", "inv", "nope");
    fails("cleave: app nope not found", "invoke", "nope", "fn");
  }

  @Test
  void emptyListsSayWhyOnStderr() {
    ok("create", "app", "bare");
    CliRun fns = ok("list", "fns", "bare");
    assertEquals("", fns.out());
    assertEquals("No functions found for app: bare\n", fns.err());
    assertEquals("[]\n", ok("list", "fns", "bare", "-o", "json").out().replaceAll("\\s", "") + "\n");
  }
}
