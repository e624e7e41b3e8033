package io.cleave.forkd;

import io.cleave.forkd.api.RemoteRef;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An instance forkd started: a cold instance, a seed, or a fork child of a seed. Identity
 * matters (a seed tracks its children), so these are classes, not records.
 */
sealed interface Instance permits Instance.Cold, Instance.Seed, Instance.Forked, Instance.Remote, Instance.InJvm {
  String id();

  /** Host pid of the instance's main process. */
  long pid();

  Cgroup cgroup();

  Path runDir();

  default Path output() {
    return runDir().resolve("output");
  }

  /**
   * A new instance id: {@code c-} cold, {@code s-} seed, {@code f-} fork child, {@code r-} remote
   * child, {@code j-} JVM seed, {@code v-} instance in a JVM seed, then 12 hex digits.
   */
  static String newId(String prefix) {
    byte[] b = new byte[6];
    ThreadLocalRandom.current().nextBytes(b);
    return prefix + "-" + HexFormat.of().formatHex(b);
  }

  /** A cold instance: its own container; it ends with its container. */
  final class Cold implements Instance {
    final String id;
    final long pid;
    final Cgroup cgroup;
    final Path runDir;
    final Container container;
    /** The container's veth on the node bridge; null for a loopback-only function. */
    final NodeBridge.Link link;
    final int uid;

    Cold(String id, long pid, Cgroup cgroup, Path runDir, Container container, NodeBridge.Link link, int uid) {
      this.id = id;
      this.pid = pid;
      this.cgroup = cgroup;
      this.runDir = runDir;
      this.container = container;
      this.link = link;
      this.uid = uid;
    }

    @Override public String id() { return id; }
    @Override public long pid() { return pid; }
    @Override public Cgroup cgroup() { return cgroup; }
    @Override public Path runDir() { return runDir; }
  }

  /**
   * A seed: its own container, which its children share and which outlives the seed while they
   * run. {@code handle} kills the seed alone; {@code control} carries fork orders.
   */
  final class Seed implements Instance {
    final String id;
    final long pid;
    final Cgroup cgroup;
    final Path runDir;
    final Path childrenDir;
    final Container container;
    /** The container's veth on the node bridge, its children's way out too; null for a loopback-only function. */
    final NodeBridge.Link link;
    final int uid;
    final PidHandle handle;
    final SeedControl control;
    final Set<Forked> children = ConcurrentHashMap.newKeySet();
    /** Set by DELETE: the seed is gone, the container stays for its children. */
    volatile boolean deleted;
    /** Set once the container is torn down and the uid given back (exactly once). */
    final AtomicBoolean ended = new AtomicBoolean();
    /** Set while forkd reads a child's first-call pages for this seed and for good once the seed took them. */
    final AtomicBoolean learningPages = new AtomicBoolean();
    /** Asked for with the start: prepared again when the page server restarts. */
    final boolean prepare;
    /** The snapshot remote children resume from; null unless prepared (and while re-preparing). */
    volatile RemoteRef remote;
    /** A kept instance (a flow producer's): it also serves calls on its run dir's listener. */
    final boolean kept;
    /** Its interpreter: a consumer forked from a kept instance must run on the same one. */
    final String interpreter;

    Seed(String id, long pid, Cgroup cgroup, Path runDir, Path childrenDir, Container container,
        NodeBridge.Link link, int uid, PidHandle handle, SeedControl control, boolean prepare, boolean kept,
        String interpreter) {
      this.id = id;
      this.pid = pid;
      this.cgroup = cgroup;
      this.runDir = runDir;
      this.childrenDir = childrenDir;
      this.container = container;
      this.link = link;
      this.uid = uid;
      this.handle = handle;
      this.control = control;
      this.prepare = prepare;
      this.kept = kept;
      this.interpreter = interpreter;
    }

    @Override public String id() { return id; }
    @Override public long pid() { return pid; }
    @Override public Cgroup cgroup() { return cgroup; }
    @Override public Path runDir() { return runDir; }
  }

  /** A fork child: a process in its seed's container, in a cgroup of its own. */
  final class Forked implements Instance {
    final String id;
    final long pid;
    final long nsPid;
    final SlotCgroup slotCgroup;
    final Cgroup cgroup;
    final Path runDir;
    final Seed seed;
    final PidHandle handle;

    Forked(String id, long pid, long nsPid, SlotCgroup slotCgroup, Path runDir, Seed seed, PidHandle handle) {
      this.id = id;
      this.pid = pid;
      this.nsPid = nsPid;
      this.slotCgroup = slotCgroup;
      this.cgroup = slotCgroup.cgroup;
      this.runDir = runDir;
      this.seed = seed;
      this.handle = handle;
    }

    @Override public String id() { return id; }
    @Override public long pid() { return pid; }
    @Override public Cgroup cgroup() { return cgroup; }
    @Override public Path runDir() { return runDir; }
  }

  /**
   * A remote child: a seed's snapshot resumed in a container of its own by the restorer, which
   * stays as the child's fault handler (its pid is the instance's; the child is its only child).
   * Remote children of one handle share a uid and the node's page cache of that handle.
   */
  final class Remote implements Instance {
    final String id;
    final long pid;
    final Cgroup cgroup;
    final Path runDir;
    final Container container;
    /** The container's veth on the node bridge; null for a loopback-only function. */
    final NodeBridge.Link link;
    final RemoteRef ref;
    final RemoteHandles.Lease lease;

    Remote(String id, long pid, Cgroup cgroup, Path runDir, Container container, NodeBridge.Link link, RemoteRef ref,
        RemoteHandles.Lease lease) {
      this.id = id;
      this.pid = pid;
      this.cgroup = cgroup;
      this.runDir = runDir;
      this.container = container;
      this.link = link;
      this.ref = ref;
      this.lease = lease;
    }

    @Override public String id() { return id; }
    @Override public long pid() { return pid; }
    @Override public Cgroup cgroup() { return cgroup; }
    @Override public Path runDir() { return runDir; }
  }

  /**
   * An instance inside a JVM seed: its own class loader, listener and output in the JVM, which it
   * shares with the seed's other instances (pid, cgroup and run dir are the seed's).
   */
  final class InJvm implements Instance {
    final String id;
    final JvmSeed jvm;
    /** The seed's first instance, started with the JVM (cold); later ones are new instances in it. */
    final boolean first;
    /** Set once its stop order went out (or the JVM is gone): it serves no more calls. */
    volatile boolean stopped;

    InJvm(String id, JvmSeed jvm, boolean first) {
      this.id = id;
      this.jvm = jvm;
      this.first = first;
    }

    @Override public String id() { return id; }
    @Override public long pid() { return jvm.pid; }
    @Override public Cgroup cgroup() { return jvm.cgroup; }
    @Override public Path runDir() { return jvm.runDir; }

    @Override
    public Path output() {
      return first ? jvm.runDir.resolve("output") : jvm.output(id);
    }
  }
}
