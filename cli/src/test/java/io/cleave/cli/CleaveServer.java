package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code cleave server} run as its own process, the way users run it, with the node's execution
 * side (forkd, Python instances), on a free port and a temporary data directory; and the CLI
 * pointed at it.
 */
final class CleaveServer implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("cleave: listening on (http://\\S+)");

  final Path work;
  final String url;
  private final Process process;
  private final StringBuffer output;

  private CleaveServer(Path work, String url, Process process, StringBuffer output) {
    this.work = work;
    this.url = url;
    this.process = process;
    this.output = output;
  }

  /** The repository root (the server finds the Python runtime there). */
  static Path repo() {
    return Path.of(System.getProperty("cleave.repo", Path.of("..").toAbsolutePath().normalize().toString()));
  }

  /** The classpath this test runs with: the CLI and everything it needs. */
  static String classpath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  static CleaveServer start(String label) throws Exception {
    Path work = Files.createTempDirectory("cleave-" + label + "-");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-cp", classpath(), "io.cleave.cli.Main", "server", "--port", "0",
        "--data-dir", work.resolve("data").toString(), "--cluster-name", label + "-" + UUID.randomUUID(),
        "--http-instances", "1"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("CLEAVE_HOME", repo().toString());
    // As a user's first start: it makes the first admin key and writes it to the key file (this one, not ~/.cleave/key).
    pb.environment().put("CLEAVE_KEY_FILE", keyFile(work).toString());
    pb.environment().remove("CLEAVE_ADMIN_KEY");
    Process server = pb.start();
    StringBuffer output = new StringBuffer();
    CompletableFuture<String> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          output.append(line).append('\n');
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            listening.complete(m.group(1));
          }
        }
      } catch (IOException e) {
        listening.completeExceptionally(e);
      }
      listening.completeExceptionally(new IllegalStateException("server exited before listening:\n" + output));
    }, label + "-server-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return new CleaveServer(work, listening.get(120, TimeUnit.SECONDS), server, output);
    } catch (Exception e) {
      server.destroyForcibly();
      throw e;
    }
  }

  String output() {
    return output.toString();
  }

  /** Where the server wrote its first admin key. */
  static Path keyFile(Path work) {
    return work.resolve("home").resolve(".cleave").resolve("key");
  }

  /** The first admin key, as the server wrote it. */
  String adminKey() throws IOException {
    return Files.readString(keyFile(work)).strip();
  }

  /** The CLI in this JVM with the server's first admin key ({@code --api-key}: this JVM's environment is fixed). */
  CliRun cli(byte[] stdin, String... args) {
    String[] full = new String[args.length + 4];
    System.arraycopy(args, 0, full, 0, args.length);
    full[args.length] = "--api-url";
    full[args.length + 1] = url;
    full[args.length + 2] = "--api-key";
    try {
      full[args.length + 3] = adminKey();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return CliRun.runWithInput(stdin, full);
  }

  CliRun ok(String... args) {
    return ok(new byte[0], args);
  }

  CliRun ok(byte[] stdin, String... args) {
    CliRun r = cli(stdin, args);
    assertEquals(0, r.exit(), () -> String.join(" ", args) + "\n" + r + "\n--- server\n" + output);
    return r;
  }

  /**
   * The CLI as its own JVM, as the launcher runs it, with {@code env} added to the environment
   * and {@code dir} as working directory; waits at most {@code timeoutSeconds}. It finds its key
   * as a user's CLI does: in the key file the server wrote.
   */
  CliRun process(Map<String, String> env, Path dir, long timeoutSeconds, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath(), "io.cleave.cli.Main"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--api-url", url));
    Path out = Files.createTempFile(work, "cli-out-", ".txt");
    Path err = Files.createTempFile(work, "cli-err-", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
    withKeyFileOnly(pb.environment(), work);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("cleave " + String.join(" ", args) + " still running after " + timeoutSeconds + " s:\n"
          + Files.readString(out) + Files.readString(err));
    }
    return new CliRun(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** An environment where the CLI's only key is the one in the key file the server wrote. */
  static void withKeyFileOnly(Map<String, String> env, Path work) {
    env.remove("CLEAVE_API_KEY");
    env.remove("FN_TOKEN");
    env.put("CLEAVE_KEY_FILE", keyFile(work).toString());
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
    try (Stream<Path> walk = Files.walk(work)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
