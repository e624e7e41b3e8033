package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * Starts the nodes one after another, each once the one before printed its {@code listening on}
 * line (members that start together can stall for minutes in Hazelcast, "map is still loading
 * data from external store", while partitions migrate), then waits until every node's
 * {@code /cleave/v1/cluster} lists all N members. Bounded; prints each step; a server that exits
 * fails it at once with the end of its log. Only this run's part of a log counts.
 */
final class ClusterStart {
  private static final long POLL_NANOS = 200_000_000L;
  private static final long STILL_WAITING_NANOS = 10_000_000_000L;
  private static final String LISTENING = "cleave: listening on ";

  private final ClusterLayout layout;
  private final NodeLauncher launcher;
  private final long timeoutNanos;
  private final PrintStream progress;
  private final NodeProbe probe;
  private ClusterState state;
  private final long[] logStart;
  private final boolean[] listening;
  private final int[] seen;

  ClusterStart(ClusterLayout layout, ClusterState planned, NodeLauncher launcher, int timeoutSeconds, PrintStream progress) {
    this.layout = layout;
    this.state = planned;
    this.launcher = launcher;
    this.probe = new NodeProbe(launcher.adminKey());
    this.timeoutNanos = timeoutSeconds * 1_000_000_000L;
    this.progress = progress;
    int n = planned.nodes().size();
    this.logStart = new long[n + 1];
    this.listening = new boolean[n + 1];
    this.seen = new int[n + 1];
  }

  /** Runs until the cluster is up; returns the state with every pid, as written to cluster.json. */
  ClusterState run() throws IOException {
    long t0 = System.nanoTime();
    long deadline = t0 + timeoutNanos;
    long lastReport = t0;
    int n = state.nodes().size();
    int started = 0;
    while (true) {
      if (started < n && (started == 0 || listening[started])) {
        started++;
        start(started, t0);
      }
      int joined = 0;
      for (int k = 1; k <= started; k++) {
        ClusterState.Node node = state.node(k);
        if (!listening[k]) {
          checkAlive(k);
          Optional<String> line = listeningLine(k);
          if (line.isPresent()) {
            listening[k] = true;
            say(node.name() + ": " + line.get().substring("cleave: ".length()) + " (" + seconds(t0) + ")");
          }
        }
        if (listening[k]) {
          int members = probe.membership(node.apiUrl())
              .filter(m -> m.clusterName().equals(state.name()))
              .map(m -> m.memberApiUrls().size()).orElse(0);
          if (members != seen[k] && members > 0 && started == n) {
            say(node.name() + " sees " + members + " of " + n + " members");
          }
          seen[k] = members;
          joined += members == n ? 1 : 0;
        }
      }
      if (joined == n) {
        say("all " + n + " nodes up, each lists " + n + " members (" + seconds(t0) + ")");
        return state;
      }
      long now = System.nanoTime();
      if (now > deadline) {
        throw new CliFailure("the cluster was not up within " + timeoutNanos / 1_000_000_000L + " s: "
            + summary(started) + lastLogs(started));
      }
      if (now - lastReport > STILL_WAITING_NANOS) {
        lastReport = now;
        say("waiting (" + seconds(t0) + "): " + summary(started));
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  private void start(int k, long t0) throws IOException {
    Path log = layout.serverLog(k);
    Files.createDirectories(layout.nodeDir(k));
    logStart[k] = Files.exists(log) ? Files.size(log) : 0L;
    Process server = launcher.start(state, k);
    state = state.withPid(k, server.pid());
    state.write(layout);
    ClusterState.Node node = state.node(k);
    say(node.name() + ": starting in namespace " + node.namespace() + " at " + node.address() + ", server pid "
        + server.pid() + ", log " + node.log() + " (" + seconds(t0) + ")");
  }

  private void checkAlive(int k) {
    ClusterState.Node node = state.node(k);
    if (!NodeProcesses.alive(node.pid())) {
      throw new CliFailure(node.name() + ": its server (pid " + node.pid() + ") exited before it was listening; the end of "
          + node.log() + ":\n" + ClusterUp.tail(Path.of(node.log()), 20));
    }
  }

  private Optional<String> listeningLine(int k) {
    try (RandomAccessFile f = new RandomAccessFile(state.node(k).log(), "r")) {
      long from = Math.min(logStart[k], f.length());
      byte[] bytes = new byte[(int) Math.min(f.length() - from, 4 << 20)];
      f.seek(from);
      f.readFully(bytes);
      for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith(LISTENING)) {
          return Optional.of(line.strip());
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private String summary(int started) {
    int n = state.nodes().size();
    List<String> parts = new ArrayList<>();
    for (int k = 1; k <= n; k++) {
      parts.add(state.node(k).name() + " " + (k > started ? "not started yet"
          : !listening[k] ? "starting"
          : seen[k] == 0 ? "listening, no cluster answer yet" : "sees " + seen[k] + " of " + n));
    }
    return String.join(", ", parts);
  }

  private String lastLogs(int started) {
    StringBuilder sb = new StringBuilder();
    for (int k = 1; k <= started; k++) {
      if (!listening[k] || seen[k] != state.nodes().size()) {
        sb.append("\n--- end of ").append(state.node(k).log()).append('\n')
            .append(ClusterUp.tail(Path.of(state.node(k).log()), 15));
      }
    }
    return sb.toString();
  }

  private static String seconds(long t0) {
    return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9);
  }

  private void say(String line) {
    progress.println("cleave: " + line);
    progress.flush();
  }
}
