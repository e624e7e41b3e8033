package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;

/**
 * Removes everything a local cluster made, found from the host itself as well as from
 * cluster.json (which a partial {@code up} may not have completed): servers are asked to stop
 * (SIGTERM), then whatever is left in a node's namespace or forkd cgroups is SIGKILLed; forkd's
 * cgroups, mounts under DIR, the namespaces, veths and the bridge are removed; finally it checks
 * that nothing is left. Data directories and logs stay.
 */
final class ClusterTeardown {
  private static final long KILL_WAIT_MS = 15_000;

  private final ClusterLayout layout;
  private final ClusterNetwork network;
  private final PrintStream progress;

  ClusterTeardown(ClusterLayout layout, PrintStream progress) {
    this.layout = layout;
    this.network = new ClusterNetwork(layout);
    this.progress = progress;
  }

  /** Tears down; returns whether anything of the cluster was found. */
  boolean run(long graceMs) {
    Optional<ClusterState> state = ClusterState.read(layout);
    Set<Integer> nodes = nodes(state);
    List<Integer> namespaces = network.namespaces();
    boolean found = state.isPresent() || !namespaces.isEmpty();

    stopServers(state, graceMs);
    for (int k : nodes) {
      NodeProcesses procs = new NodeProcesses(layout, k);
      int killed = procs.killAll(namespaces.contains(k), KILL_WAIT_MS);
      if (killed > 0) {
        say(ClusterLayout.nodeName(k) + ": killed " + killed + " process" + (killed == 1 ? "" : "es") + " (SIGKILL)");
        found = true;
      }
      List<Path> cgroups = procs.cgroups().remove();
      if (!cgroups.isEmpty()) {
        say(ClusterLayout.nodeName(k) + ": removed forkd's cgroups " + cgroups);
        found = true;
      }
    }
    found |= unmountUnder(layout.dir());
    // The veth first: a namespace's removal takes its pair along only later, in the kernel's own time.
    List<String> veths = network.veths();
    for (int k : namespaces) {
      boolean paired = veths.contains(layout.hostVeth(k));
      if (paired) {
        network.deleteLink(layout.hostVeth(k));
      }
      network.deleteNamespace(k);
      say("removed network namespace " + layout.namespace(k) + (paired ? " and veth " + layout.hostVeth(k) : ""));
    }
    for (String veth : network.veths()) {
      network.deleteLink(veth);
      say("removed veth " + veth);
      found = true;
    }
    if (network.bridgeExists()) {
      network.deleteLink(layout.bridge());
      say("removed bridge " + layout.bridge());
      found = true;
    }
    try {
      Files.deleteIfExists(layout.stateFile());
      Files.deleteIfExists(layout.adminKeyFile());
    } catch (IOException e) {
      throw new CliFailure("cannot remove " + layout.stateFile() + ": " + e.getMessage());
    }
    checkNothingLeft(nodes);
    return found;
  }

  /** Nodes named by cluster.json, by a namespace of this cluster, or by a nodeK directory. */
  private Set<Integer> nodes(Optional<ClusterState> state) {
    Set<Integer> out = new TreeSet<>(network.namespaces());
    state.ifPresent(s -> {
      for (int k = 1; k <= s.nodes().size(); k++) {
        out.add(k);
      }
    });
    if (Files.isDirectory(layout.dir())) {
      try (DirectoryStream<Path> dirs = Files.newDirectoryStream(layout.dir(), Files::isDirectory)) {
        for (Path d : dirs) {
          ClusterLayout.nodeOfDir(d.getFileName().toString()).ifPresent(out::add);
        }
      } catch (IOException e) {
        throw new CliFailure("cannot list " + layout.dir() + ": " + e.getMessage());
      }
    }
    return out;
  }

  /** SIGTERM to every server still running, then a bounded wait: they stop forkd and leave the cluster cleanly. */
  private void stopServers(Optional<ClusterState> state, long graceMs) {
    if (state.isEmpty()) {
      return;
    }
    List<Long> stopping = new ArrayList<>();
    for (int k = 1; k <= state.get().nodes().size(); k++) {
      long pid = state.get().node(k).pid();
      if (new NodeProcesses(layout, k).isServer(pid)) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        stopping.add(pid);
        say(ClusterLayout.nodeName(k) + ": stopping its server (pid " + pid + ", SIGTERM)");
      }
    }
    long deadline = System.nanoTime() + graceMs * 1_000_000;
    while (stopping.stream().anyMatch(NodeProcesses::alive) && System.nanoTime() < deadline) {
      LockSupport.parkNanos(100_000_000);
    }
  }

  /** Unmounts anything mounted under DIR, deepest first (nodes' forkd mount only in their containers' namespaces). */
  private boolean unmountUnder(Path dir) {
    List<String> points = mountsUnder(dir.toString() + "/");
    points.sort(Comparator.comparingInt(String::length).reversed());
    for (String point : points) {
      HostCommand.check("unmounting " + point, List.of("umount", point));
      say("unmounted " + point);
    }
    return !points.isEmpty();
  }

  static List<String> mountsUnder(String prefix) {
    List<String> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String[] fields = line.split(" ");
        if (fields.length > 4) {
          String point = unescape(fields[4]);
          if (point.startsWith(prefix)) {
            out.add(point);
          }
        }
      }
    } catch (IOException e) {
      throw new CliFailure("cannot read /proc/self/mountinfo: " + e.getMessage());
    }
    return out;
  }

  /** mountinfo writes space, tab, newline and backslash as octal escapes. */
  private static String unescape(String field) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private void checkNothingLeft(Set<Integer> nodes) {
    List<String> left = new ArrayList<>();
    List<Integer> namespaces = network.namespaces();
    namespaces.forEach(k -> left.add("namespace " + layout.namespace(k)));
    network.veths().forEach(v -> left.add("veth " + v));
    if (network.bridgeExists()) {
      left.add("bridge " + layout.bridge());
    }
    for (int k : nodes) {
      NodeProcesses procs = new NodeProcesses(layout, k);
      Set<Long> pids = procs.all(false);
      if (!pids.isEmpty()) {
        left.add(ClusterLayout.nodeName(k) + " processes " + pids);
      }
      procs.cgroups().dirs().forEach(d -> left.add("cgroup " + d));
    }
    mountsUnder(layout.dir() + "/").forEach(m -> left.add("mount " + m));
    mountsUnder("/run/netns/" + layout.clusterName() + "-").forEach(m -> left.add("mount " + m));
    if (!left.isEmpty()) {
      throw new CliFailure("still left after tearing down: " + String.join(", ", left));
    }
  }

  private void say(String line) {
    progress.println("cleave: " + line);
    progress.flush();
  }
}
