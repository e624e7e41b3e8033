package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Where a process's cgroups are, read from /proc like an operator would. */
final class Cgroups {
  private Cgroups() {}

  static Path memoryDir(long pid) throws IOException {
    return dir(pid, "memory");
  }

  /** The process's cgroup directory for a controller (v1), or its unified cgroup (v2). */
  static Path dir(long pid, String controller) throws IOException {
    for (CgroupLayout.Mount m : CgroupLayout.Mount.all()) {
      if (m.v1Controller(controller)) {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
          String[] f = line.split(":", 3);
          if (Set.of(f[1].split(",")).contains(controller)) {
            return m.point().resolve(f[2].substring(m.root().length()).replaceFirst("^/+", ""));
          }
        }
      }
    }
    for (CgroupLayout.Mount m : CgroupLayout.Mount.all()) {
      if (m.type().equals("cgroup2")) {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
          if (line.startsWith("0::")) {
            return m.point().resolve(line.substring(3).replaceFirst("^/+", ""));
          }
        }
      }
    }
    throw new IOException("no " + controller + " cgroup for " + pid);
  }

  static Path limitFile(Path memoryDir) {
    Path v1 = memoryDir.resolve("memory.limit_in_bytes");
    return Files.exists(v1) ? v1 : memoryDir.resolve("memory.max");
  }

  static Set<String> children(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }
}
