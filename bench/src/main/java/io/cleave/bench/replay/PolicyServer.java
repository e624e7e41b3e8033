package io.cleave.bench.replay;

import io.cleave.common.access.ApiKeySecret;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A fresh {@code cleave server} process for one policy of a comparison: same classpath as this
 * JVM, an ephemeral port, its own data directory. Its output goes to a log file; the address
 * comes from the first line that carries an http URL. It accepts an admin key made for it
 * ({@code CLEAVE_ADMIN_KEY}), so it makes no first key of its own and writes no key file.
 */
public final class PolicyServer implements AutoCloseable {
  private static final Pattern URL = Pattern.compile("(https?://[^\\s/\"']+:\\d+)");

  private final Process process;
  private final URI url;
  private final String adminKey;
  private final List<ProcessHandle> family = new ArrayList<>();

  private PolicyServer(Process process, URI url, String adminKey) {
    this.process = process;
    this.url = url;
    this.adminKey = adminKey;
  }

  public URI url() {
    return url;
  }

  /** The server process's pid. */
  public long pid() {
    return process.pid();
  }

  /**
   * One fresh server per policy, in a temporary data directory removed when it stops; its log is
   * {@code <policy dir>/server.log}.
   */
  public static PolicyNodes.Starter standalone(List<String> extraArgs, PrintStream progress) {
    return (policy, dir) -> {
      Path data = Files.createTempDirectory("cleave-replay-" + policy + "-");
      progress.printf("[%s] starting a server (data dir %s)%n", policy, data);
      try {
        return new Standalone(start(policy, data, dir.resolve("server.log"), extraArgs, defaultWait()), data);
      } catch (IOException | RuntimeException e) {
        removeTree(data);
        throw e;
      }
    };
  }

  /** A standalone server as the only node of a policy. */
  private record Standalone(PolicyServer server, Path data) implements PolicyNodes {
    @Override
    public List<URI> urls() {
      return List.of(server.url());
    }

    @Override
    public String adminKey() {
      return server.adminKey();
    }

    @Override
    public void close() {
      server.close();
      removeTree(data);
    }
  }

  /** The admin key this server accepts. */
  public String adminKey() {
    return adminKey;
  }

  public static PolicyServer start(String policy, Path dataDir, Path logFile, List<String> extraArgs, Duration wait) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseG1GC", "-Dcleave.repo=" + SharedData.home(),
        "-cp", System.getProperty("java.class.path"), "io.cleave.server.ServerCommand",
        "--port", "0", "--data-dir", dataDir.toString(), "--policy", policy));
    cmd.addAll(extraArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putIfAbsent("CLEAVE_HOME", SharedData.home().toString());
    String adminKey = ApiKeySecret.generate("bench");
    pb.environment().put("CLEAVE_ADMIN_KEY", adminKey);
    Files.createDirectories(logFile.getParent());
    Process p = pb.start();
    CompletableFuture<URI> address = new CompletableFuture<>();
    Thread pump = new Thread(() -> copyOutput(p, logFile, address), "server-log-" + policy);
    pump.setDaemon(true);
    pump.start();
    try {
      URI u = address.get(wait.toMillis(), TimeUnit.MILLISECONDS);
      return new PolicyServer(p, u, adminKey);
    } catch (TimeoutException | ExecutionException e) {
      // A server that failed after starting forkd leaves it running unless it is stopped too.
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      String why = e instanceof TimeoutException ? "printed no listen address within " + wait.toSeconds() + " s"
          : e.getCause().getMessage();
      throw new IOException("the " + policy + " server " + why + "; see " + logFile);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting the " + policy + " server");
    }
  }

  private static void copyOutput(Process p, Path logFile, CompletableFuture<URI> address) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        BufferedWriter log = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        log.write(line);
        log.newLine();
        log.flush();
        if (!address.isDone()) {
          Matcher m = URL.matcher(line);
          if (m.find()) {
            address.complete(URI.create(m.group(1).replace("0.0.0.0", "127.0.0.1").replace("[::]", "127.0.0.1")));
          }
        }
      }
    } catch (IOException e) {
      address.completeExceptionally(e);
    }
    address.completeExceptionally(new IOException("exited with status " + exitStatus(p)));
  }

  private static String exitStatus(Process p) {
    try {
      return String.valueOf(p.waitFor());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after 20 s) and anything it left running. */
  @Override
  public void close() {
    process.descendants().forEach(family::add);
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle h : family) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
  }

  public static Duration defaultWait() {
    return Duration.ofSeconds(90);
  }

  private static void removeTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a data dir the server left busy stays behind in the temp dir; nothing else depends on it
    }
  }
}
