package io.cleave.forkd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which optional files (memory.memsw.*, cpu.cfs_burst_us, ...) cgroups have: the same in every
 * cgroup of a hierarchy on one kernel, so looked up once per name rather than on every fork.
 */
final class OptionalCgroupFiles {
  private static final ConcurrentHashMap<String, Boolean> SEEN = new ConcurrentHashMap<>();

  private OptionalCgroupFiles() {}

  static boolean exist(Path file) {
    String name = file.getFileName().toString();
    Boolean seen = SEEN.get(name);
    if (seen != null) {
      return seen;
    }
    boolean exists = Files.exists(file);
    if (Files.isDirectory(file.getParent())) { // a cgroup gone meanwhile says nothing
      SEEN.put(name, exists);
    }
    return exists;
  }
}
