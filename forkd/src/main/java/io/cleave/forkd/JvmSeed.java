package io.cleave.forkd;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A JVM seed: one JVM in a lean container of its own that hosts several instances of one function
 * version ({@link Instance.InJvm}), each with its own class loader and listener in the seed's run
 * dir. It ends with its last instance. Its cgroup's memory and cpu grow and shrink with the number
 * of instances, from the per-instance {@code spec}.
 */
final class JvmSeed {
  final String id;
  final long pid;
  final Cgroup cgroup;
  final Path runDir;
  final Container container;
  /** The container's veth on the node bridge; null for a loopback-only function. */
  final NodeBridge.Link link;
  final int uid;
  final SeedControl control;
  /** What one instance is given: the seed's limits are this times its instance count. */
  final StartSpec spec;
  final Set<Instance.InJvm> members = ConcurrentHashMap.newKeySet();
  /** Set once the container is torn down and the uid given back (exactly once). */
  final AtomicBoolean ended = new AtomicBoolean();
  /** Held while an instance starts or stops: one change of the run dir and the limits at a time. */
  final Object changes = new Object();

  JvmSeed(String id, long pid, Cgroup cgroup, Path runDir, Container container, NodeBridge.Link link, int uid,
      SeedControl control, StartSpec spec) {
    this.id = id;
    this.pid = pid;
    this.cgroup = cgroup;
    this.runDir = runDir;
    this.container = container;
    this.link = link;
    this.uid = uid;
    this.control = control;
    this.spec = spec;
  }

  boolean alive() {
    return container.mainExit() == null && container.alive();
  }

  /** An instance's listener: {@code <id>.sock} in the seed's run dir. */
  Path listener(String instanceId) {
    return runDir.resolve(instanceId + ".sock");
  }

  /** The same, as the JVM sees it. */
  static String listenerInside(String instanceId) {
    return ContainerStarts.RUN + "/" + instanceId + ".sock";
  }

  /**
   * An added instance's output: {@code <id>/output} in the seed's run dir, a dir of its own so its
   * rotation ({@code output.1}) is its own too. The seed's first instance writes to the process's
   * {@code output}, with the JVM's own messages.
   */
  Path output(String instanceId) {
    return runDir.resolve(instanceId).resolve("output");
  }

  /** The same, as the JVM sees it. */
  static String outputInside(String instanceId) {
    return ContainerStarts.RUN + "/" + instanceId + "/output";
  }
}
