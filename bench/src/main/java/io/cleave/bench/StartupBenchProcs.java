package io.cleave.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What the benchmark reads from /proc: CPU time spent by processes, a seed's children, forkd's pid. */
final class StartupBenchProcs {
  private static final Path PROC = Path.of("/proc");

  private StartupBenchProcs() {}

  /** CPU time the process's live threads have run, in ns (/proc/PID/task/TID/schedstat); 0 once it is gone. */
  static long cpuNanos(long pid) {
    long sum = 0;
    try (Stream<Path> tasks = Files.list(PROC.resolve(Long.toString(pid)).resolve("task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        String s = read(t.resolve("schedstat"));
        int space = s.indexOf(' ');
        if (space > 0) {
          sum += Long.parseLong(s.substring(0, space));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process or a thread ended while being read: what was read so far is all there is
    }
    return sum;
  }

  /**
   * CPU time per group of the process's live threads, in ns: threads grouped by name without the
   * trailing number (/proc/PID/task/TID/comm, 15 characters at most), so a pool counts as one.
   */
  static Map<String, Long> cpuNanosByThread(long pid) {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> tasks = Files.list(PROC.resolve(Long.toString(pid)).resolve("task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        String s = read(t.resolve("schedstat"));
        int space = s.indexOf(' ');
        if (space > 0) {
          String group = read(t.resolve("comm")).strip().replaceAll("[-#]?\\d+$", "");
          out.merge(group.isEmpty() ? "?" : group, Long.parseLong(s.substring(0, space)), Long::sum);
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process or a thread ended while being read: what was read so far is all there is
    }
    return out;
  }

  /** The host pid of {@code parent}'s child whose pid in its own (innermost) namespace is {@code nsPid}; -1 if none. */
  static long childWithNsPid(long parent, long nsPid) {
    for (long child : children(parent)) {
      for (String line : read(PROC.resolve(Long.toString(child)).resolve("status")).split("\n")) {
        if (line.startsWith("NSpid:")) {
          String[] f = line.substring(6).trim().split("\\s+");
          if (Long.parseLong(f[f.length - 1]) == nsPid) {
            return child;
          }
        }
      }
    }
    return -1;
  }

  /** Every process below {@code pid} (children, their children, ...), as /proc shows them now. */
  static List<Long> descendants(long pid) {
    List<Long> found = new ArrayList<>();
    List<Long> unvisited = new ArrayList<>(children(pid));
    while (!unvisited.isEmpty()) {
      long next = unvisited.remove(unvisited.size() - 1);
      found.add(next);
      unvisited.addAll(children(next));
    }
    return found;
  }

  static List<Long> children(long pid) {
    List<Long> out = new ArrayList<>();
    try (Stream<Path> tasks = Files.list(PROC.resolve(Long.toString(pid)).resolve("task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        for (String c : read(t.resolve("children")).trim().split("\\s+")) {
          if (!c.isEmpty()) {
            out.add(Long.parseLong(c));
          }
        }
      }
    } catch (IOException e) {
      // gone: no children
    }
    return out;
  }

  /** The pid of the forkd serving {@code dataDir}, or -1 when none is found. */
  static long forkdPid(Path dataDir) {
    String data = dataDir.toString();
    try (Stream<Path> procs = Files.list(PROC)) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        String cmd = read(p.resolve("cmdline")).replace('\0', ' ');
        if (cmd.contains("io.cleave.forkd.ForkdMain") && cmd.contains(data)) {
          return Long.parseLong(name);
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
