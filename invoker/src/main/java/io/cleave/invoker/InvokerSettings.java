package io.cleave.invoker;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Knobs of one node's invoker; README "execution" documents each with its flag and variable.
 *
 * @param dataDir the server's data directory (activations/, queue/, unpacked/ live under it)
 * @param cleaveHome repository root; the Python runtime is {@code <cleaveHome>/sdk-python}
 * @param node this node's name, written into activation records
 * @param policy how instances are found for calls
 * @param memoryCapacityMb memory for instances and seeds on this node (sum of their fns' memory)
 * @param capacityWait how long a call waits for memory before 503
 * @param seedIdle a seed not forked from for this long is stopped
 * @param forkAhead children each seed keeps forked ahead of demand (parked, counted in node memory), 0: none
 * @param logLimitBytes captured stdout+stderr kept per call
 * @param activationMaxAge activation records older than this are removed
 * @param activationMaxRecords at most this many activation records are kept
 * @param activationMaxBytes at most this many bytes of activation records and their logs are kept
 * @param detachedParallelism detached calls run at most this many at once
 * @param maxResponseBytes largest answer accepted from a function
 * @param jvmInstances instances one JVM seed hosts at most (fork and remote-fork policies); beyond, a new JVM seed
 * @param seedWait under remote-fork, how long calls wait for the cluster's seed while another node starts it
 *     before one starts cold here; zero: never wait
 */
public record InvokerSettings(
    Path dataDir,
    Path cleaveHome,
    String node,
    Policy policy,
    long memoryCapacityMb,
    Duration capacityWait,
    Duration seedIdle,
    int forkAhead,
    int logLimitBytes,
    Duration activationMaxAge,
    long activationMaxRecords,
    long activationMaxBytes,
    int detachedParallelism,
    long maxResponseBytes,
    int jvmInstances,
    Duration seedWait) {

  /** Instances per JVM seed unless configured: enough to absorb a burst, few enough that one JVM's crash costs little. */
  public static final int DEFAULT_JVM_INSTANCES = 8;

  /**
   * Seed wait unless configured: longer than a cold start of a function with a heavy import takes
   * on a busy node, short enough that a seed whose start hangs delays calls elsewhere only once.
   */
  public static final Duration DEFAULT_SEED_WAIT = Duration.ofSeconds(10);

  public InvokerSettings {
    if (memoryCapacityMb <= 0) {
      throw new IllegalArgumentException("node memory capacity must be positive");
    }
    if (forkAhead < 0) {
      throw new IllegalArgumentException("fork-ahead must be 0 or more");
    }
    if (jvmInstances < 1) {
      throw new IllegalArgumentException("JVM instances per seed must be 1 or more");
    }
    if (seedWait == null || seedWait.isNegative()) {
      throw new IllegalArgumentException("seed wait must be 0 or more");
    }
    if (logLimitBytes < 0 || activationMaxRecords <= 0 || activationMaxBytes <= 0 || detachedParallelism <= 0 || maxResponseBytes <= 0) {
      throw new IllegalArgumentException("invoker limits must be positive");
    }
  }

  /** The same with {@link #DEFAULT_SEED_WAIT}. */
  public InvokerSettings(Path dataDir, Path cleaveHome, String node, Policy policy, long memoryCapacityMb,
      Duration capacityWait, Duration seedIdle, int forkAhead, int logLimitBytes, Duration activationMaxAge,
      long activationMaxRecords, long activationMaxBytes, int detachedParallelism, long maxResponseBytes,
      int jvmInstances) {
    this(dataDir, cleaveHome, node, policy, memoryCapacityMb, capacityWait, seedIdle, forkAhead, logLimitBytes,
        activationMaxAge, activationMaxRecords, activationMaxBytes, detachedParallelism, maxResponseBytes,
        jvmInstances, DEFAULT_SEED_WAIT);
  }

  /** The same with {@link #DEFAULT_JVM_INSTANCES} instances per JVM seed and {@link #DEFAULT_SEED_WAIT}. */
  public InvokerSettings(Path dataDir, Path cleaveHome, String node, Policy policy, long memoryCapacityMb,
      Duration capacityWait, Duration seedIdle, int forkAhead, int logLimitBytes, Duration activationMaxAge,
      long activationMaxRecords, long activationMaxBytes, int detachedParallelism, long maxResponseBytes) {
    this(dataDir, cleaveHome, node, policy, memoryCapacityMb, capacityWait, seedIdle, forkAhead, logLimitBytes,
        activationMaxAge, activationMaxRecords, activationMaxBytes, detachedParallelism, maxResponseBytes,
        DEFAULT_JVM_INSTANCES, DEFAULT_SEED_WAIT);
  }

  /** The single-machine defaults for the given data directory. */
  public static InvokerSettings defaults(Path dataDir, Path cleaveHome) {
    return new InvokerSettings(
        dataDir,
        cleaveHome,
        hostName(),
        Policy.FORK,
        defaultCapacityMb(),
        Duration.ofSeconds(10),
        Duration.ofMinutes(10),
        2,
        64 * 1024,
        Duration.ofDays(7),
        1_000_000,
        1024L * 1024 * 1024,
        8,
        16L * 1024 * 1024,
        DEFAULT_JVM_INSTANCES,
        DEFAULT_SEED_WAIT);
  }

  /** Three quarters of the machine's physical memory, leaving the rest to the platform and the OS. */
  public static long defaultCapacityMb() {
    long total = physicalMemoryBytes();
    return Math.max(256, total / (1024 * 1024) * 3 / 4);
  }

  private static long physicalMemoryBytes() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getTotalMemorySize();
    }
    return 2L * 1024 * 1024 * 1024;
  }

  /** Parses a duration such as {@code 500ms}, {@code 10s}, {@code 10m}, {@code 2h}, {@code 7d}. */
  public static Duration parseDuration(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(java.util.Locale.ROOT);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)").matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (examples: 500ms, 10s, 10m, 2h, 7d)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }
}
