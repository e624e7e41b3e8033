package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What forkd reads about processes from /proc. Every reader treats a vanished process as an answer. */
final class ProcFs {
  private static final Path PROC = Path.of("/proc");

  private ProcFs() {}

  /** Host pids of the process's children forked by its main thread; empty once it is gone. */
  static List<Long> mainThreadChildren(long pid) {
    List<Long> out = new ArrayList<>();
    String list = readOrEmpty(PROC.resolve(pid + "/task/" + pid + "/children")).trim();
    if (!list.isEmpty()) {
      for (String child : list.split("\\s+")) {
        out.add(Long.parseLong(child));
      }
    }
    return out;
  }

  /** Host pids of the process's children (over all its threads); empty once it is gone. */
  static List<Long> children(long pid) {
    List<Long> out = new ArrayList<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(PROC.resolve(pid + "/task"))) {
      for (Path task : tasks) {
        String list = readOrEmpty(task.resolve("children")).trim();
        if (!list.isEmpty()) {
          for (String child : list.split("\\s+")) {
            out.add(Long.parseLong(child));
          }
        }
      }
    } catch (IOException gone) {
      return List.of();
    }
    return out;
  }

  /** The host pid of {@code parent}'s child whose pid in its own namespace is {@code nsPid}. */
  static long childWithNsPid(long parent, long nsPid) throws IOException {
    long pid = findChild(parent, nsPid);
    if (pid < 0) {
      throw new IOException("process " + nsPid + " (in the container) is not a child of " + parent + " any more");
    }
    return pid;
  }

  /** Like {@link #childWithNsPid}, -1 when there is no such child (any more). */
  static long findChild(long parent, long nsPid) {
    // A seed forks from its one thread: look there first, then at every thread's children.
    long pid = newestWithNsPid(mainThreadChildren(parent), nsPid);
    return pid > 0 ? pid : newestWithNsPid(children(parent), nsPid);
  }

  private static long newestWithNsPid(List<Long> children, long nsPid) {
    // The newest child is listed last: search from the end, usually one status read.
    for (int k = children.size() - 1; k >= 0; k--) {
      if (innermostPid(children.get(k)) == nsPid) {
        return children.get(k);
      }
    }
    return -1;
  }

  /** The pid as seen in the innermost pid namespace (last NSpid field), or -1 once gone. */
  static long innermostPid(long pid) {
    for (String line : readOrEmpty(PROC.resolve(pid + "/status")).split("\n")) {
      if (line.startsWith("NSpid:")) {
        // The last whitespace-separated field (no regex: this runs once per fork).
        String fields = line.strip();
        return Long.parseLong(fields.substring(Math.max(fields.lastIndexOf(' '), fields.lastIndexOf('\t')) + 1));
      }
    }
    return -1;
  }

  /** Whether the process exists and is not a zombie. */
  static boolean running(long pid) {
    String stat = readOrEmpty(PROC.resolve(pid + "/stat"));
    int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 >= stat.length()) {
      return false;
    }
    char state = stat.charAt(close + 2);
    return state != 'Z' && state != 'X';
  }

  /** Proportional set size from smaps_rollup, 0 once the process is gone. */
  static long pssBytes(long pid) {
    for (String line : readOrEmpty(PROC.resolve(pid + "/smaps_rollup")).split("\n")) {
      if (line.startsWith("Pss:")) {
        String kb = line.substring(4).trim().split("\\s+")[0];
        return Long.parseLong(kb) * 1024;
      }
    }
    return 0;
  }

  /** MemTotal in bytes. */
  static long memTotalBytes() {
    for (String line : readOrEmpty(PROC.resolve("meminfo")).split("\n")) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.substring(9).trim().split("\\s+")[0]) * 1024;
      }
    }
    throw new IllegalStateException("no MemTotal in /proc/meminfo");
  }

  static String readOrEmpty(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException gone) {
      // ENOENT, ESRCH: the process went away before or while we read.
      return "";
    }
  }
}
