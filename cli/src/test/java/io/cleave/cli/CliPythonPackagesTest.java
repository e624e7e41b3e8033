package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code cleave deploy} building a function's Python dependencies with this machine's pip and its
 * configured index, against a real server: the function imports what requirements.txt names.
 */
class CliPythonPackagesTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final long CLI_LIMIT_S = 600;

  /** Imports tabulate and says where it came from. */
  static final String TABLE_FN = """
      import io
      import json
      import sys

      # Until the runtime puts the bundle's packages on the path itself.
      if "/function/.python_packages" not in sys.path:
          sys.path.insert(0, "/function/.python_packages")

      import tabulate


      def handler(ctx, data: io.BytesIO = None):
          table = tabulate.tabulate([["fork", 1], ["cold", 2]], headers=["mode", "n"])
          return {"table": table, "from": tabulate.__file__}
      """;

  static CleaveServer server;
  static Map<String, String> env;

  @BeforeAll
  static void start() throws Exception {
    server = CleaveServer.start("cli-pip");
    // A cache of this test's own, so that pip really runs.
    env = Map.of("XDG_CACHE_HOME", server.work.resolve("cache").toString());
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static Path newFunction(String name, String runtime, String requirements) throws Exception {
    Path dir = server.work.resolve(name);
    assertEquals(0, CliRun.run("init", "--runtime", "python", dir.toString()).exit());
    Files.writeString(dir.resolve("func.yaml"), Files.readString(dir.resolve("func.yaml"))
        .replace("runtime: python\n", "runtime: " + runtime + "\n"));
    Files.writeString(dir.resolve("requirements.txt"), requirements);
    return dir;
  }

  private static CliRun deploy(Path dir, String app) throws Exception {
    return server.process(env, dir, CLI_LIMIT_S, "deploy", "--app", app, "--create-app");
  }

  private static String nodePythonVersion() throws Exception {
    Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").start();
    String v = new String(p.getInputStream().readAllBytes()).strip();
    assertEquals(0, p.waitFor());
    return v;
  }

  private static int appsNamed(String name) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url + "/v2/apps?name=" + name))
        .header("Authorization", "Bearer " + server.adminKey()).build(),
        HttpResponse.BodyHandlers.ofString());
    return Json.MAPPER.readTree(r.body()).get("items").size();
  }

  @Test
  void aPackageFromRequirementsIsInstalledIntoTheBundleAndImported() throws Exception {
    String runtime = "python" + nodePythonVersion();
    Path dir = newFunction("table", runtime, "fdk>=0.1.105\n# pretty tables\ntabulate  # pure Python\n");
    Files.writeString(dir.resolve("func.py"), TABLE_FN);

    CliRun first = deploy(dir, "pip");
    assertEquals(0, first.exit(), first::toString);
    assertTrue(first.out().contains("Installing tabulate from requirements.txt for Python "), first::toString);
    assertTrue(first.out().matches("(?s).*Installed tabulate-[0-9.]+ into \\.python_packages \\(.*"), first::toString);
    assertFalse(first.out().contains("fdk"), "fdk is Cleave's own: " + first);
    assertFalse(Files.exists(dir.resolve(".python_packages")), "built in the cache, not in the function's directory");

    CliRun answer = server.ok("invoke", "pip", "table");
    JsonNode body = Json.MAPPER.readTree(answer.out());
    assertTrue(body.get("table").asText().contains("fork"), answer::toString);
    assertEquals("/function/.python_packages/tabulate/__init__.py", body.get("from").asText(), answer::toString);

    // Same requirements: the cache answers, pip does not run again.
    CliRun second = server.process(env, dir, CLI_LIMIT_S, "deploy", "--app", "pip");
    assertEquals(0, second.exit(), second::toString);
    assertTrue(second.out().contains("Python packages from requirements.txt: already installed"), second::toString);
    assertFalse(second.out().contains("Installing"), second::toString);
  }

  @Test
  void aPackageThatDoesNotExistFailsTheDeployAndChangesNothing() throws Exception {
    Path dir = newFunction("missing", "python", "tabulate\nno-such-package-for-cleave-tests>=1.0\n");
    String yaml = Files.readString(dir.resolve("func.yaml"));
    CliRun r = deploy(dir, "nopkg");
    assertEquals(1, r.exit(), r::toString);
    assertTrue(r.err().startsWith("cleave: requirements.txt: cannot install no-such-package-for-cleave-tests: "), r::toString);
    assertTrue(r.err().contains("No matching distribution found for no-such-package-for-cleave-tests"), r::toString);
    assertEquals(0, appsNamed("nopkg"), "no app created");
    assertEquals(yaml, Files.readString(dir.resolve("func.yaml")), "version not bumped");
    Path cache = server.work.resolve("cache/cleave/pip");
    if (Files.exists(cache)) {
      try (Stream<Path> s = Files.list(cache)) {
        assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".building-")), "no half-built tree left");
      }
    }
  }

  @Test
  void aRuntimeTheNodeDoesNotRunIsRefusedBeforeAnyRequest() throws Exception {
    String version = nodePythonVersion();
    for (String runtime : List.of("python3.12", "python3.8", "python2.7")) {
      if (runtime.equals("python" + version)) {
        continue;
      }
      Path dir = newFunction("rt-" + runtime.replace('.', '-'), runtime, "fdk\n");
      CliRun r = server.cli(new byte[0], "deploy", "--app", "runtimes", "--create-app", dir.toString());
      assertEquals(1, r.exit(), r::toString);
      assertEquals("cleave: runtime " + runtime + " is not available; this node runs: python, python" + version + "\n",
          r.err(), r::toString);
    }
    assertEquals(0, appsNamed("runtimes"));
  }

  @Test
  void vendoredPackagesAndAnFdkOnlyRequirementsFileNeedNoPip() throws Exception {
    Path dir = newFunction("vendored", "python", "# nothing but the FDK\nfdk\n");
    Files.createDirectories(dir.resolve("helper"));
    Files.writeString(dir.resolve("helper/__init__.py"), "GREETING = 'vendored hello'\n");
    Files.writeString(dir.resolve("func.py"), "import helper\n\ndef handler(ctx, data=None):\n    return helper.GREETING\n");
    CliRun r = deploy(dir, "vend");
    assertEquals(0, r.exit(), r::toString);
    assertFalse(r.out().contains("Installing"), r::toString);
    assertEquals("vendored hello\n", server.ok("invoke", "vend", "vendored").out());

    // Vendored packages in .python_packages and packages to install: one must go.
    Files.createDirectories(dir.resolve(".python_packages/mine"));
    Files.writeString(dir.resolve("requirements.txt"), "tabulate\n");
    CliRun both = deploy(dir, "vend");
    assertEquals(1, both.exit(), both::toString);
    assertTrue(both.err().contains(".python_packages exists and requirements.txt names packages to install"), both::toString);
  }
}
