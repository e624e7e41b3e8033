package io.cleave.forkd;

import java.nio.file.Path;
import java.util.List;

/** One cgroup forkd made, as its directory in each hierarchy it uses (one on cgroup v2). */
record Cgroup(String name, List<Path> dirs, Path memoryDir) {}
