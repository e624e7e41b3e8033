package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits, bounded, until every node printed its {@code listening on} line (in this run's part of its
 * log) and then until every node's {@code /cleave/v1/cluster} lists all N members, printing each
 * step; a node whose server exits fails the wait at once with the end of its log.
 */
final class ClusterWait {
  private static final long POLL_NANOS = 200_000_000L;
  private static final long STILL_WAITING_NANOS = 10_000_000_000L;
  private static final String LISTENING = "cleave: listening on ";

  private final ClusterState state;
  private final long timeoutNanos;
  private final PrintStream progress;
  private final Map<Integer, Long> logStart;
  private final NodeProbe probe = new NodeProbe();

  /**
   * {@code state} as just started; {@code logStart} says where each node's log ended before its
   * server started (lines of earlier runs do not count).
   */
  ClusterWait(ClusterState state, Map<Integer, Long> logStart, int timeoutSeconds, PrintStream progress) {
    this.state = state;
    this.logStart = Map.copyOf(logStart);
    this.timeoutNanos = timeoutSeconds * 1_000_000_000L;
    this.progress = progress;
  }

  void await() {
    long t0 = System.nanoTime();
    long deadline = t0 + timeoutNanos;
    long lastReport = t0;
    int n = state.nodes().size();
    boolean[] listening = new boolean[n + 1];
    int[] seen = new int[n + 1];
    while (true) {
      int ready = 0;
      int joined = 0;
      for (int k = 1; k <= n; k++) {
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
          ready++;
          int members = probe.membership(node.apiUrl())
              .filter(m -> m.clusterName().equals(state.name()))
              .map(m -> m.memberApiUrls().size()).orElse(0);
          if (members != seen[k] && members > 0) {
            say(node.name() + " sees " + members + " of " + n + " members");
          }
          seen[k] = members;
          if (members == n) {
            joined++;
          }
        }
      }
      if (joined == n) {
        say("all " + n + " nodes up, each lists " + n + " members (" + seconds(t0) + ")");
        return;
      }
      long now = System.nanoTime();
      if (now > deadline) {
        throw new CliFailure("the cluster was not up within " + timeoutNanos / 1_000_000_000L + " s: "
            + summary(listening, seen) + lastLogs(listening, seen));
      }
      if (now - lastReport > STILL_WAITING_NANOS) {
        lastReport = now;
        say("waiting (" + seconds(t0) + "): " + summary(listening, seen));
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  private void checkAlive(int k) {
    ClusterState.Node node = state.node(k);
    if (!NodeProcesses.alive(node.pid())) {
      throw new CliFailure(node.name() + ": its server (pid " + node.pid() + ") exited before it was listening; the end of "
          + node.log() + ":\n" + ClusterUp.tail(Path.of(node.log()), 20));
    }
  }

  private Optional<String> listeningLine(int k) {
    String log = node(k).log();
    try (RandomAccessFile f = new RandomAccessFile(log, "r")) {
      long from = Math.min(logStart.getOrDefault(k, 0L), f.length());
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

  private ClusterState.Node node(int k) {
    return state.node(k);
  }

  private String summary(boolean[] listening, int[] seen) {
    List<String> parts = new ArrayList<>();
    for (int k = 1; k < listening.length; k++) {
      parts.add(node(k).name() + " " + (!listening[k] ? "starting"
          : seen[k] == 0 ? "listening, no cluster answer yet" : "sees " + seen[k] + " of " + (listening.length - 1)));
    }
    return String.join(", ", parts);
  }

  private String lastLogs(boolean[] listening, int[] seen) {
    StringBuilder sb = new StringBuilder();
    for (int k = 1; k < listening.length; k++) {
      if (!listening[k] || seen[k] != listening.length - 1) {
        sb.append("\n--- end of ").append(node(k).log()).append('\n').append(ClusterUp.tail(Path.of(node(k).log()), 15));
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
