package io.cleave.bench;

import io.cleave.bench.replay.PolicyServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A server process of one start-up bench policy and its data directory (removed on close,
 * forkd's log kept beside the server's), and the instances it runs, seen as their sockets.
 */
record StartupBenchServer(String policy, PolicyServer process, Path data, Path logs) implements AutoCloseable {

  /**
   * Starts one server per policy, all at once (booting is most of a short run's time), and waits
   * for every one before anything is measured, so no boot overlaps a measurement.
   */
  static List<StartupBenchServer> boot(List<String> policies, StartupBench.Settings settings, Path out,
      List<String> serverArgs, StartupBenchProgress progress) throws IOException {
    progress.phase("starting %d servers (%s)", policies.size(), String.join(", ", policies));
    List<CompletableFuture<StartupBenchServer>> starting = new ArrayList<>();
    for (String policy : policies) {
      starting.add(CompletableFuture.supplyAsync(() -> start(policy, settings, out, serverArgs),
          runnable -> new Thread(runnable, "boot-" + policy).start()));
    }
    List<StartupBenchServer> up = new ArrayList<>();
    IOException failure = null;
    for (CompletableFuture<StartupBenchServer> f : starting) {
      try {
        up.add(f.join());
      } catch (CompletionException e) {
        Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
        if (failure == null) {
          failure = cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        }
      }
    }
    if (failure != null) {
      up.forEach(StartupBenchServer::close);
      throw failure;
    }
    for (StartupBenchServer s : up) {
      progress.phase("[%s] server on %s (data dir %s)", s.policy(), s.process().url(), s.data());
    }
    return up;
  }

  private static StartupBenchServer start(String policy, StartupBench.Settings settings, Path out,
      List<String> serverArgs) {
    Path data = null;
    try {
      data = Files.createTempDirectory("cleave-sb-");
      // A cluster name of its own keeps each server to itself whatever its discovery settings.
      List<String> args = new ArrayList<>(List.of("--cluster-name", "cleave-bench-" + policy));
      if (policy.equals(StartupBench.FORK)) {
        args.addAll(List.of("--fork-ahead", Integer.toString(settings.forkAhead())));
      }
      if (policy.equals(StartupBench.KEEP_ALIVE)) {
        // The warm-throughput run measures the call path, not the per-app rate limit (60,000 a minute).
        args.addAll(List.of("--app-max-calls-per-minute", Integer.toString(Integer.MAX_VALUE)));
      }
      args.addAll(serverArgs);
      Path logs = out.resolve("servers");
      PolicyServer p = PolicyServer.start(policy, data, logs.resolve(policy + ".log"), args, PolicyServer.defaultWait());
      return new StartupBenchServer(policy, p, data, logs);
    } catch (IOException e) {
      if (data != null) {
        StartupBench.removeTree(data);
      }
      throw new UncheckedIOException(e);
    }
  }

  /** The listener sockets of the instances running now. */
  Set<Path> listeners() {
    try (Stream<Path> dirs = Files.list(instances())) {
      return dirs.map(d -> d.resolve("lsnr.sock")).filter(Files::exists).collect(Collectors.toSet());
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + instances() + ": " + e.getMessage(), e);
    }
  }

  /** The listener socket of the one instance started since {@code seen} was taken; adds it to {@code seen}. */
  Path newListener(Set<Path> seen) {
    List<Path> fresh = listeners().stream().filter(p -> !seen.contains(p)).toList();
    if (fresh.size() != 1) {
      throw new IllegalStateException("expected one new instance socket under " + instances() + ", found "
          + fresh.size());
    }
    seen.add(fresh.get(0));
    return fresh.get(0);
  }

  private Path instances() {
    return data.resolve("run").resolve("instances");
  }

  @Override
  public void close() {
    process.close();
    Path forkdLog = data.resolve("forkd.log");
    try {
      if (Files.isRegularFile(forkdLog)) {
        Files.copy(forkdLog, logs.resolve(policy + "-forkd.log"), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      // the log is for diagnosis only; the run's figures do not depend on it
    }
    StartupBench.removeTree(data);
  }
}
