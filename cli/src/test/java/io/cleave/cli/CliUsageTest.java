package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line as a new user meets it: every command answers --help, and a wrong command line
 * is a usage error (exit 2) found before anything is sent. A stand-in server counts the requests
 * that reach it, so "before anything is sent" is checked, not assumed.
 */
class CliUsageTest {
  static HttpServer counter;
  static final AtomicInteger requests = new AtomicInteger();
  static String url;

  @TempDir Path tmp;

  @BeforeAll
  static void listen() throws Exception {
    counter = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    counter.createContext("/", exchange -> {
      requests.incrementAndGet();
      byte[] body = "{\"items\":[]}".getBytes();
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    counter.start();
    url = "http://127.0.0.1:" + counter.getAddress().getPort();
  }

  @AfterAll
  static void close() {
    counter.stop(0);
  }

  /** Every command path under the root: [init], [list], [list, fns], [list, config, app], ... */
  static List<List<String>> commandPaths() {
    List<List<String>> out = new ArrayList<>();
    collect(Main.commandLine(), new ArrayList<>(), out);
    return out;
  }

  private static void collect(CommandLine cmd, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    for (CommandLine sub : cmd.getCommandSpec().subcommands().values().stream().distinct().toList()) {
      List<String> next = new ArrayList<>(path);
      next.add(sub.getCommandName());
      collect(sub, next, out);
    }
  }

  private static String[] with(List<String> path, String... more) {
    List<String> all = new ArrayList<>(path);
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  @Test
  void everyCommandAndSubcommandAnswersHelp() {
    List<List<String>> paths = commandPaths();
    assertTrue(paths.size() > 40, "the walk found " + paths.size() + " commands");
    for (List<String> path : paths) {
      String name = String.join(" ", with(List.of("cleave"), path.toArray(String[]::new)));
      for (String flag : List.of("--help", "-h")) {
        CliRun r = CliRun.run(with(path, flag));
        assertEquals(0, r.exit(), () -> name + " " + flag + "\n" + r);
        assertTrue(r.out().startsWith("Usage: " + name + " "), () -> name + " " + flag + "\n" + r);
        assertEquals("", r.err(), () -> name + " " + flag + "\n" + r);
      }
      CliRun viaHelp = CliRun.run(with(List.of("help"), path.toArray(String[]::new)));
      assertEquals(0, viaHelp.exit(), () -> "help " + name + "\n" + viaHelp);
      assertEquals(CliRun.run(with(path, "--help")).out(), viaHelp.out(), "cleave help " + String.join(" ", path));
    }
  }

  @Test
  void theTopLevelHelpListsEveryCommandIncludingTest() {
    String help = CliRun.run("--help").out();
    for (String command : List.of("init", "deploy", "invoke", "list", "server", "test", "replay", "bench")) {
      assertTrue(help.lines().anyMatch(l -> l.startsWith("  " + command + " ") || l.startsWith("  " + command + ",")),
          command + " missing from\n" + help);
    }
    CliRun unknown = CliRun.run("help", "list", "nope");
    assertEquals(2, unknown.exit(), unknown::toString);
    assertTrue(unknown.err().contains("unknown command 'nope' under 'cleave list'"), unknown::toString);
  }

  /** A usage error against the stand-in server: see {@link #refusedAsTyped}. */
  private static void refused(String expected, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--api-url", url));
    refusedAsTyped(expected, all.toArray(String[]::new));
  }

  /** A usage error: exit 2, one "cleave:" line with the reason, where to read more, no request sent. */
  private static void refusedAsTyped(String expected, String... args) {
    int before = requests.get();
    CliRun r = CliRun.run(args);
    assertEquals(2, r.exit(), () -> String.join(" ", args) + "\n" + r);
    assertTrue(r.err().startsWith("cleave: "), r::toString);
    assertTrue(r.err().contains(expected), () -> "expected '" + expected + "'\n" + r);
    assertTrue(r.err().contains("--help"), r::toString);
    assertFalse(r.err().contains("Exception"), r::toString);
    assertEquals("", r.out(), r::toString);
    assertEquals(before, requests.get(), () -> String.join(" ", args) + " sent a request");
  }

  @Test
  void outOfRangeLimitsAreRefusedBeforeAnyRequest() {
    refused("--timeout must be between 1 and 300 seconds, got 0", "update", "fn", "app", "fn", "--timeout", "0");
    refused("--idle-timeout must be between 1 and 3600 seconds, got 0", "update", "fn", "app", "fn", "--idle-timeout", "0");
    refused("--memory must be between 1 and 8192 MB, got 0", "update", "fn", "app", "fn", "--memory", "0");
    refused("--memory must be between 1 and 8192 MB, got 8193", "update", "fn", "app", "fn", "--memory", "8193");
    refused("--timeout must be between 1 and 300 seconds, got 301", "create", "fn", "app", "fn", "img", "--timeout", "301");
    refused("--idle-timeout must be between 1 and 3600 seconds, got 3601", "create", "fn", "app", "fn", "img",
        "--idle-timeout", "3601");
    refused("--timeout must be between 1 and 86400 seconds, got 0", "invoke", "--timeout", "0", "app", "fn");
    refused("--limit must be between 1 and 1000, got 0", "activations", "list", "--limit", "0");
    refused("--limit must be between 1 and 1000, got 1001", "activations", "list", "--limit", "1001");
  }

  @Test
  void malformedCommandLinesAreRefusedBeforeAnyRequest() {
    refused("--since expects a time", "activations", "list", "--since", "yesterday");
    refused("--fn expects APP/FN", "activations", "list", "--fn", "app/");
    refused("--fn only goes with --last", "activations", "logs", "SOMEID", "--fn", "a/b");
    refused("config key must not be empty", "config", "app", "app", "", "v");
    refused("--config expects KEY=VALUE, got 'novalue'", "create", "app", "x", "--config", "novalue");
    refused("nothing to update", "update", "app", "app");
    refused("nothing to update", "update", "fn", "app", "fn");
    refused("Possible solutions: --memory", "update", "fn", "app", "fn", "--memroy=256");
    refused("Missing required option: '--app=APP'", "deploy");
    refused("Invalid value for option '--timeout'", "update", "fn", "app", "fn", "--timeout", "soon");
  }

  @Test
  void everyKindOfWrongCommandLineExitsTwo() {
    refusedAsTyped("Unmatched argument at index 0: 'nope'", "nope");
    refusedAsTyped("Missing required subcommand", "list");
    refusedAsTyped("Unmatched argument at index 1: 'nope'", "list", "nope");
    refused("Unknown option: '--bogus'", "list", "apps", "--bogus");
    refused("Invalid value for option '--output'", "list", "apps", "-o", "xml");
    refused("Missing required parameter: 'APP'", "delete", "app");
    refused("Missing required parameter: 'TRIGGER'", "inspect", "trigger", "app", "fn");
    refused("Unmatched argument at index 3: 'extra'", "delete", "app", "app", "extra");
    refused("Missing required parameters: 'KEY', 'VALUE'", "cf", "a", "app");
    refused("Missing required parameter: 'ID'", "activations", "get");
    refusedAsTyped("invalid API URL 'nohost'", "ls", "a", "--api-url", "nohost");
    refusedAsTyped("Missing required parameter: 'TRACE'", "replay");
    refusedAsTyped("--top=N, --random=N are mutually exclusive", "replay", "trace-dir", "--top", "1", "--random", "2");
    refusedAsTyped("Invalid value for option '--cold-calls': 'many' is not an int", "bench", "startup", "--cold-calls", "many");
    refusedAsTyped("Invalid value for option '--tail': 'soon' is not a double", "bench", "spike", "--tail", "soon");
  }

  @Test
  void initRefusesBadValuesAndCreatesNothing() {
    for (String[] bad : new String[][] {
        {"--memory", "0"}, {"--memory", "9000"}, {"--timeout", "0"}, {"--idle-timeout", "4000"},
        {"--runtime", "go"}, {"--trigger", "cron"}}) {
      Path dir = tmp.resolve("f" + bad[1]);
      List<String> args = new ArrayList<>(List.of("init", "--runtime", "python"));
      args.addAll(List.of(bad));
      args.add(dir.toString());
      CliRun r = CliRun.run(args.toArray(String[]::new));
      assertEquals(2, r.exit(), () -> args + "\n" + r);
      assertTrue(r.err().startsWith("cleave: "), r::toString);
      assertFalse(Files.exists(dir), () -> args + " created " + dir);
    }
  }

  @Test
  void deployChecksFuncYamlBeforeAnyRequest() throws Exception {
    Path dir = tmp.resolve("checked");
    assertEquals(0, CliRun.run("init", "--runtime", "python", dir.toString()).exit());
    String yaml = Files.readString(dir.resolve("func.yaml"));
    for (String[] c : new String[][] {
        {"memory: 256\n", "memory: 0\n", "memory must be between 1 and 8192 MB, got 0"},
        {"memory: 256\n", "memory: 256\ntimeout: 0\n", "timeout must be between 1 and 300 seconds, got 0"},
        {"memory: 256\n", "memory: 256\nidle_timeout: 7200\n", "idle_timeout must be between 1 and 3600 seconds, got 7200"},
        {"runtime: python\n", "runtime: python2.7\n", "runtime python2.7 is not available; this node runs: python, python3."},
        {"runtime: python\n", "runtime: java11\n", "runtime java11 is not available; this node runs Java 17: use runtime java (or java17)"}}) {
      Files.writeString(dir.resolve("func.yaml"), yaml.replace(c[0], c[1]));
      int before = requests.get();
      CliRun r = CliRun.run("deploy", "--app", "a", "--create-app", dir.toString(), "--api-url", url);
      assertEquals(1, r.exit(), r::toString);
      assertTrue(r.err().startsWith("cleave: ") && r.err().contains(c[2]), () -> c[2] + "\n" + r);
      assertEquals(before, requests.get(), () -> c[1] + " sent a request");
      assertEquals(yaml.replace(c[0], c[1]), Files.readString(dir.resolve("func.yaml")));
    }
  }
}
