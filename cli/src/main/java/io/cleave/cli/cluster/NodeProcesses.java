package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;

/**
 * The processes of one node: everything in its network namespace (server, forkd, container
 * helpers, instances), everything in the cgroups its forkd recorded, and any process whose
 * command line runs on the node's data directory (one that outlived its namespace's name).
 */
final class NodeProcesses {
  private final ClusterLayout layout;
  private final int node;
  private final ForkdCgroups cgroups;

  NodeProcesses(ClusterLayout layout, int node) {
    this.layout = layout;
    this.node = node;
    this.cgroups = new ForkdCgroups(layout.dataDir(node));
  }

  /** Every process of the node now. */
  Set<Long> all(boolean namespaceExists) {
    Set<Long> pids = new TreeSet<>();
    if (namespaceExists) {
      String out = HostCommand.check("listing the processes of " + layout.namespace(node),
          List.of("ip", "netns", "pids", layout.namespace(node)));
      for (String line : out.split("\n")) {
        if (!line.isBlank()) {
          pids.add(Long.parseLong(line.strip()));
        }
      }
    }
    pids.addAll(cgroups.pids());
    pids.addAll(namingDataDir(layout.dataDir(node)));
    pids.remove(ProcessHandle.current().pid());
    pids.removeIf(pid -> !alive(pid));
    return pids;
  }

  /** The node's server, if {@code pid} still is it (not a recycled pid). */
  boolean isServer(long pid) {
    List<String> args = commandLine(pid);
    return pid > 0 && alive(pid) && args.contains("io.cleave.cli.Main") && namesDataDir(args, layout.dataDir(node));
  }

  /** SIGKILLs every process of the node until none is left; returns how many were killed. */
  int killAll(boolean namespaceExists, long timeoutMs) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    Set<Long> killed = new TreeSet<>();
    Set<Long> left;
    while (!(left = all(namespaceExists)).isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new CliFailure(ClusterLayout.nodeName(node) + ": processes " + left + " still run after SIGKILL for "
            + timeoutMs / 1000 + " s (see ps -o pid,stat,cmd -p " + String.join(",", left.stream().map(String::valueOf).toList()) + ")");
      }
      for (long pid : left) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        killed.add(pid);
      }
      LockSupport.parkNanos(50_000_000);
    }
    return killed.size();
  }

  ForkdCgroups cgroups() {
    return cgroups;
  }

  /** Alive and not a zombie (a zombie of a reparented node waits for init, it runs nothing). */
  static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      int close = stat.lastIndexOf(')');
      return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) != 'Z' && stat.charAt(close + 2) != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  static List<String> commandLine(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      List<String> args = new ArrayList<>();
      int start = 0;
      for (int i = 0; i < raw.length; i++) {
        if (raw[i] == 0) {
          args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
          start = i + 1;
        }
      }
      return args;
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * The node's server or forkd ({@code --data-dir D}) or one of its forkd's container helpers (an
   * argument under D): not any program that merely opens a file there, such as a user's less.
   */
  static boolean namesDataDir(List<String> args, Path dataDir) {
    String dir = dataDir.toString();
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).equals("--data-dir") && args.get(i + 1).equals(dir)) {
        return true;
      }
    }
    return !args.isEmpty() && args.get(0).endsWith("/cleave-container")
        && args.stream().anyMatch(a -> a.startsWith(dir + "/"));
  }

  private static Set<Long> namingDataDir(Path dataDir) {
    Set<Long> out = new TreeSet<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
      for (Path p : procs) {
        long pid = Long.parseLong(p.getFileName().toString());
        if (namesDataDir(commandLine(pid), dataDir)) {
          out.add(pid);
        }
      }
    } catch (IOException e) {
      throw new CliFailure("cannot list processes in /proc: " + e.getMessage());
    }
    return out;
  }
}
