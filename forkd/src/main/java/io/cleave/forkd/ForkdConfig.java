package io.cleave.forkd;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * forkd's settings: the data dir and socket from the command line, the knobs from the
 * environment (documented in README.md, "Execution").
 */
record ForkdConfig(
    Path dataDir,
    Path socket,
    Path helper,
    Path runtimeSource,
    Path kmodSource,
    String pageserverBind,
    int pageserverPort,
    int poolSize,
    int uidBase,
    int uidCount,
    int pidsMax,
    int mbPerCpu,
    int keptSlotCgroups,
    long tmpBytes,
    long logLimitBytes,
    long startTimeoutMs,
    boolean favorDynmods,
    Ipv4Net outboundSubnet,
    List<Ipv4Net> outboundDeny,
    boolean hostNetwork,
    Path childrenTmpfs) {

  static ForkdConfig of(Path dataDir, Path socket, Map<String, String> env) {
    Path data = dataDir.toAbsolutePath().normalize();
    String home = env.getOrDefault("CLEAVE_HOME", System.getProperty("cleave.repo", "."));
    Path helper = Path.of(env.getOrDefault("CLEAVE_FORKD_HELPER",
        Path.of(home, "forkd", "native", "build", "cleave-container").toString())).toAbsolutePath().normalize();
    return new ForkdConfig(
        data,
        socket == null ? data.resolve("run").resolve("forkd.sock") : socket.toAbsolutePath().normalize(),
        helper,
        Path.of(home, "sdk-python").toAbsolutePath().normalize(),
        Path.of(env.getOrDefault("CLEAVE_FORKD_KMOD", Path.of(home, "kmod").toString())).toAbsolutePath().normalize(),
        ipv4Knob(env, "CLEAVE_FORKD_PAGESERVER_BIND", "127.0.0.1"),
        intKnob(env, "CLEAVE_FORKD_PAGESERVER_PORT", 0, 0, 65535),
        intKnob(env, "CLEAVE_FORKD_POOL", 2, 0, 256),
        intKnob(env, "CLEAVE_FORKD_UID_BASE", 900_000, 1000, 2_000_000_000),
        intKnob(env, "CLEAVE_FORKD_UIDS", 100_000, 1, 10_000_000),
        intKnob(env, "CLEAVE_FORKD_PIDS_MAX", 256, 8, 1_000_000),
        intKnob(env, "CLEAVE_FORKD_MB_PER_CPU", 128, 0, 1 << 20),
        intKnob(env, "CLEAVE_FORKD_KEPT_SLOT_CGROUPS", 128, 0, 100_000),
        intKnob(env, "CLEAVE_FORKD_TMP_MB", 64, 1, 1 << 20) * 1024L * 1024,
        intKnob(env, "CLEAVE_FORKD_LOG_LIMIT_MB", 64, 1, 1 << 20) * 1024L * 1024,
        intKnob(env, "CLEAVE_FORKD_START_TIMEOUT_MS", 30_000, 100, 3_600_000),
        !"false".equalsIgnoreCase(env.getOrDefault("CLEAVE_FORKD_FAVOR_DYNMODS", "true")),
        subnetKnob(env, "CLEAVE_FORKD_OUTBOUND_SUBNET", "10.213.0.0/24"),
        denyKnob(env, "CLEAVE_FORKD_OUTBOUND_DENY"),
        hostNetworkKnob(env, "CLEAVE_FORKD_INSTANCE_NETWORK"),
        tmpfsKnob(env, "CLEAVE_FORKD_CHILDREN_TMPFS", "/dev/shm"));
  }

  /** A directory on a tmpfs for fork children's run dirs, or null (empty or {@code off}: the data dir). */
  private static Path tmpfsKnob(Map<String, String> env, String name, String fallback) {
    String value = env.getOrDefault(name, fallback).trim();
    if (value.isEmpty() || value.equals("off")) {
      return null;
    }
    Path p = Path.of(value);
    if (!p.isAbsolute()) {
      throw new IllegalArgumentException(name + " must be an absolute path or off, got '" + value + "'");
    }
    return p.normalize();
  }

  /**
   * {@code isolated} (the default: a loopback-only namespace per container, outbound by opt-in) or
   * {@code host}: instances share the node's network, for tests and single-user development where
   * something on the host must see what functions send; never on a node that runs others' code.
   */
  private static boolean hostNetworkKnob(Map<String, String> env, String name) {
    String value = env.getOrDefault(name, "").trim();
    if (value.isEmpty() || value.equals("isolated")) {
      return false;
    }
    if (value.equals("host")) {
      return true;
    }
    throw new IllegalArgumentException(name + " must be isolated or host, got '" + value + "'");
  }

  /** The outbound bridge's subnet: a gateway, at least one instance, at most a /16 of them. */
  private static Ipv4Net subnetKnob(Map<String, String> env, String name, String fallback) {
    String value = env.getOrDefault(name, "").trim();
    Ipv4Net net;
    try {
      net = Ipv4Net.parse(value.isEmpty() ? fallback : value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage());
    }
    if (net.prefix() < 16 || net.prefix() > 30) {
      throw new IllegalArgumentException(name + " must be a /16 to /30 network, got " + net);
    }
    return net;
  }

  private static List<Ipv4Net> denyKnob(Map<String, String> env, String name) {
    try {
      return List.copyOf(Ipv4Net.parseList(env.getOrDefault(name, "")));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " must be comma-separated IPv4 networks: " + e.getMessage());
    }
  }

  /** The page server listens on one IPv4 address (restorers connect to HOST:PORT with HOST an address). */
  private static String ipv4Knob(Map<String, String> env, String name, String fallback) {
    String value = env.getOrDefault(name, "").trim();
    if (value.isEmpty()) {
      return fallback;
    }
    if (!value.matches("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}")) {
      throw new IllegalArgumentException(name + " must be an IPv4 address, got '" + value + "'");
    }
    return value;
  }

  /** The same settings on the data dir as it really is (links resolved). */
  ForkdConfig withDataDir(Path real) {
    return new ForkdConfig(real, socket, helper, runtimeSource, kmodSource, pageserverBind, pageserverPort, poolSize,
        uidBase, uidCount, pidsMax, mbPerCpu, keptSlotCgroups, tmpBytes, logLimitBytes, startTimeoutMs, favorDynmods, outboundSubnet,
        outboundDeny, hostNetwork, childrenTmpfs);
  }

  private static int intKnob(Map<String, String> env, String name, int fallback, int min, int max) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    int v;
    try {
      v = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'");
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException(name + " must be within " + min + ".." + max + ", got " + v);
    }
    return v;
  }

  Path runDir() {
    return dataDir.resolve("run");
  }

  Path instancesDir() {
    return runDir().resolve("instances");
  }

  Path forksDir() {
    return runDir().resolve("forks");
  }

  /** Fork slots are staged where their run dirs go (a rename moves one under its seed's children dir). */
  Path slotsDir() {
    return childrenTmpfs == null ? remoteSlotsDir() : childrenTmpfs.resolve("slots");
  }

  /** Remote children's slots stay on the data dir: a rename moves one to {@link #instancesDir()}. */
  Path remoteSlotsDir() {
    return runDir().resolve("slots");
  }

  /** The same settings with fork children's run dirs in {@code dir} on a tmpfs, or on the data dir (null). */
  ForkdConfig withChildrenTmpfs(Path dir) {
    return new ForkdConfig(dataDir, socket, helper, runtimeSource, kmodSource, pageserverBind, pageserverPort, poolSize,
        uidBase, uidCount, pidsMax, mbPerCpu, keptSlotCgroups, tmpBytes, logLimitBytes, startTimeoutMs, favorDynmods, outboundSubnet,
        outboundDeny, hostNetwork, dir);
  }

  /** forkd's copy of the function runtime, bound into every container. */
  Path runtimeDir() {
    return runDir().resolve("runtime").resolve("sdk-python");
  }

  /** Where {@code cleave}'s build leaves the Java runtime jar (docs: JAVA-CONTRACT, sdk-java). */
  Path javaRuntimeJar() {
    return runtimeSource.resolveSibling("sdk-java").resolve("runtime").resolve("target").resolve(JavaRuntime.JAR);
  }

  /** forkd's copy of the Java runtime jar's dir, bound read-only into every container at /cleave/sdk-java. */
  Path javaRuntimeDir() {
    return runDir().resolve("runtime").resolve("sdk-java");
  }

  Path stagingRoot() {
    return runDir().resolve("root");
  }

  /** forkd's copy of the fork primitive (library, restorer, page server, Python binding), bound into every container. */
  Path kmodDir() {
    return runDir().resolve("runtime").resolve("kmod");
  }

  /** The page server's unix socket and port file; bound into prepared seeds' containers. */
  Path pageserverDir() {
    return runDir().resolve("pageserver");
  }

  /**
   * The node's page cache: one dir per handle, shared by that handle's remote children. On the
   * children's tmpfs when there is one: there the children map the cached seed pages instead of
   * each copying them (kmod: cleave-restore --cache on a tmpfs).
   */
  Path pagecacheDir() {
    return childrenTmpfs == null ? runDir().resolve("pagecache") : childrenTmpfs.resolve("pagecache");
  }
}
