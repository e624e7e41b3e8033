package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's deploy walkthrough, run as written: every {@code $ } line of its console block goes
 * to bash (in one session, so {@code cd} carries over) against a fresh real server, and what each
 * prints must be what the README shows, up to ids, times, digests, sizes and durations.
 */
class CliWalkthroughTest {
  /** The address the README's samples show; the test server's own address stands in for it. */
  static final String README_URL = "http://127.0.0.1:8080";
  private static final String MARK = "@@walkthrough-step@@";

  /** One command of the walkthrough and what the README shows it printing. */
  record Step(String command, String shown) {}

  static List<Step> walkthrough(String readme) {
    int section = readme.indexOf("### Deploy walkthrough");
    assertTrue(section >= 0, "README has no '### Deploy walkthrough'");
    int start = readme.indexOf("```console\n", section);
    int end = readme.indexOf("\n```", start + 1);
    assertTrue(start > 0 && end > start, "no console block in the walkthrough");
    List<Step> steps = new ArrayList<>();
    String command = null;
    StringBuilder shown = new StringBuilder();
    for (String line : readme.substring(start + "```console\n".length(), end).split("\n", -1)) {
      if (line.startsWith("$ ")) {
        if (command != null) {
          steps.add(new Step(command, shown.toString()));
        }
        command = line.substring(2);
        shown.setLength(0);
      } else {
        shown.append(line).append('\n');
      }
    }
    steps.add(new Step(command, shown.toString()));
    return steps;
  }

  /** What may differ from run to run: ids, times, digests, sizes, durations; and column widths. */
  static String normalize(String text) {
    String s = text
        .replaceAll("sha256-[0-9a-f]{64}", "sha256-<digest>")
        .replaceAll("\\b[0-9A-HJKMNP-TV-Z]{26}\\b", "<id>")
        .replaceAll("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z", "<time>")
        .replaceAll("\\d+(\\.\\d+)? (B|KiB|MiB|GiB)/s", "<rate>")
        .replaceAll("\\d+(\\.\\d+)? (B|KiB|MiB|GiB)\\b", "<size>")
        .replaceAll("\\b\\d+ ms\\b", "<ms>")
        .replaceAll("[ \\t]+", " ");
    List<String> lines = new ArrayList<>();
    s.strip().lines().forEach(l -> lines.add(l.stripTrailing()));
    return String.join("\n", lines);
  }

  @Test
  void theReadmeDeployWalkthroughRunsAsShown() throws Exception {
    List<Step> steps = walkthrough(Files.readString(CleaveServer.repo().resolve("README.md"), StandardCharsets.UTF_8));
    assertTrue(steps.size() >= 6, "walkthrough steps: " + steps);
    try (CleaveServer server = CleaveServer.start("walkthrough")) {
      // Its first start made the first admin key and left it, for the owner only, where the CLI looks.
      Path keyFile = CleaveServer.keyFile(server.work);
      assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(keyFile));
      assertTrue(server.output().contains("created the first admin key"), server.output());
      Path dir = Files.createDirectories(server.work.resolve("walk"));
      // ./cleave and ../cleave (from the function's directory) both reach this CLI.
      Path launcher = dir.resolve("cleave");
      Files.writeString(launcher, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
          + "' -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '" + CleaveServer.classpath() + "' io.cleave.cli.Main \"$@\"\n");
      Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
      StringBuilder script = new StringBuilder("cd '" + dir + "'\n");
      for (Step step : steps) {
        script.append("printf '\\n").append(MARK).append("\\n'\n");
        script.append(step.command().replace(README_URL, server.url)).append(" 2>&1\n");
      }
      ProcessBuilder pb = new ProcessBuilder("bash", "-c", script.toString()).redirectErrorStream(true);
      pb.environment().put("CLEAVE_API_URL", server.url);
      // The user who started the server: the CLI finds the key the server wrote.
      CleaveServer.withKeyFileOnly(pb.environment(), server.work);
      pb.environment().put("XDG_CACHE_HOME", server.work.resolve("cache").toString());
      Path out = server.work.resolve("walkthrough.out");
      pb.redirectOutput(out.toFile());
      Process p = pb.start();
      assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the walkthrough took more than 300 s");
      String transcript = Files.readString(out, StandardCharsets.UTF_8).replace(server.url, README_URL);
      String[] printed = transcript.split("\n?" + MARK + "\n", -1);
      assertEquals(steps.size() + 1, printed.length, transcript);
      for (int i = 0; i < steps.size(); i++) {
        Step step = steps.get(i);
        String got = printed[i + 1];
        assertEquals(normalize(step.shown()), normalize(got),
            "$ " + step.command() + "\n--- whole run\n" + transcript + "\n--- server\n" + server.output());
      }
    }
  }
}
