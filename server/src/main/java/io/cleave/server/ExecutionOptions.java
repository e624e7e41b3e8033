package io.cleave.server;

import io.cleave.common.config.ServerConfig;
import io.cleave.invoker.InvokerSettings;
import io.cleave.invoker.Policy;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code cleave server} flags of the node's execution side (invoker and forkd); README "Execution" lists them. */
public final class ExecutionOptions {

  @Option(names = "--policy", defaultValue = "${env:CLEAVE_POLICY:-}",
      description = "how calls find instances: remote-fork, fork, keep-alive or cold-only (env CLEAVE_POLICY;"
          + " default remote-fork when --members names other members, else fork)")
  String policy;

  @Option(names = "--node-memory", defaultValue = "${env:CLEAVE_NODE_MEMORY:-}",
      description = "memory for instances and seeds on this node, e.g. 8g; empty means 3/4 of the machine's RAM (env CLEAVE_NODE_MEMORY)")
  String nodeMemory;

  @Option(names = "--capacity-wait", defaultValue = "${env:CLEAVE_CAPACITY_WAIT:-10s}",
      description = "how long a call waits for memory before 503 (env CLEAVE_CAPACITY_WAIT, default ${DEFAULT-VALUE})")
  String capacityWait;

  @Option(names = "--seed-idle", defaultValue = "${env:CLEAVE_SEED_IDLE:-10m}",
      description = "a seed not forked from for this long is stopped (env CLEAVE_SEED_IDLE, default ${DEFAULT-VALUE})")
  String seedIdle;

  @Option(names = "--seed-wait", defaultValue = "${env:CLEAVE_SEED_WAIT:-10s}",
      description = "under remote-fork, how long calls wait for the cluster's seed while another node starts it, then one starts cold here; 0s: never wait (env CLEAVE_SEED_WAIT, default ${DEFAULT-VALUE})")
  String seedWait;

  @Option(names = "--fork-ahead", defaultValue = "${env:CLEAVE_FORK_AHEAD:-2}",
      description = "children each seed keeps forked ahead of demand, handed to calls as they come (under remote-fork, also children of the cluster's seed restored ahead on each other node that ran the function's calls); 0: fork per call (env CLEAVE_FORK_AHEAD, default ${DEFAULT-VALUE})")
  int forkAhead;

  @Option(names = "--jvm-instances", defaultValue = "${env:CLEAVE_JVM_INSTANCES:-8}",
      description = "instances of a Java function one JVM seed hosts at most; beyond, another JVM seed starts (env CLEAVE_JVM_INSTANCES, default ${DEFAULT-VALUE})")
  int jvmInstances;

  @Option(names = "--call-log-limit", defaultValue = "${env:CLEAVE_CALL_LOG_LIMIT:-64k}",
      description = "stdout+stderr kept per call (env CLEAVE_CALL_LOG_LIMIT, default ${DEFAULT-VALUE})")
  String callLogLimit;

  @Option(names = "--activation-retention", defaultValue = "${env:CLEAVE_ACTIVATION_RETENTION:-7d}",
      description = "activation records older than this are removed (env CLEAVE_ACTIVATION_RETENTION, default ${DEFAULT-VALUE})")
  String activationRetention;

  @Option(names = "--activation-max", defaultValue = "${env:CLEAVE_ACTIVATION_MAX:-1000000}",
      description = "most activation records kept (env CLEAVE_ACTIVATION_MAX, default ${DEFAULT-VALUE})")
  long activationMax;

  @Option(names = "--activation-max-bytes", defaultValue = "${env:CLEAVE_ACTIVATION_MAX_BYTES:-1g}",
      description = "most bytes of activation records and logs kept, oldest dropped first (env CLEAVE_ACTIVATION_MAX_BYTES, default ${DEFAULT-VALUE})")
  String activationMaxBytes;

  @Option(names = "--detached-parallelism", defaultValue = "${env:CLEAVE_DETACHED_PARALLELISM:-8}",
      description = "detached calls run at once (env CLEAVE_DETACHED_PARALLELISM, default ${DEFAULT-VALUE})")
  int detachedParallelism;

  @Option(names = "--app-max-concurrency", defaultValue = "${env:CLEAVE_APP_MAX_CONCURRENCY:-200}",
      description = "calls of one app this node accepted running at once, unless the app's annotation"
          + " cleave.io/max-concurrency says otherwise (env CLEAVE_APP_MAX_CONCURRENCY, default ${DEFAULT-VALUE})")
  int appMaxConcurrency;

  @Option(names = "--app-max-calls-per-minute", defaultValue = "${env:CLEAVE_APP_MAX_CALLS_PER_MINUTE:-60000}",
      description = "calls of one app this node accepts per minute, unless the app's annotation"
          + " cleave.io/max-calls-per-minute says otherwise (env CLEAVE_APP_MAX_CALLS_PER_MINUTE, default ${DEFAULT-VALUE})")
  int appMaxCallsPerMinute;

  @Option(names = "--max-response", defaultValue = "${env:CLEAVE_MAX_RESPONSE:-16m}",
      description = "largest answer accepted from a function (env CLEAVE_MAX_RESPONSE, default ${DEFAULT-VALUE})")
  String maxResponse;

  @Option(names = "--node-name", defaultValue = "${env:CLEAVE_NODE_NAME:-}",
      description = "this node's name in activation records; empty means the host name (env CLEAVE_NODE_NAME)")
  String nodeName;

  @Option(names = "--forkd-jvm-options", defaultValue = "${env:CLEAVE_FORKD_JVM_OPTIONS:--XX:+UseSerialGC -Xmx256m -XX:TieredStopAtLevel=1}",
      description = "JVM options of the forkd child process (env CLEAVE_FORKD_JVM_OPTIONS, default ${DEFAULT-VALUE})")
  String forkdJvmOptions;

  /**
   * The invoker settings these flags describe; throws IllegalArgumentException on a bad value.
   * {@code clustered}: the server joins other members, so by default one seed serves them all.
   */
  public InvokerSettings settings(Path dataDir, boolean clustered) {
    InvokerSettings d = InvokerSettings.defaults(dataDir, cleaveHome());
    long logLimit = ServerConfig.parseBytes(callLogLimit);
    if (logLimit > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("--call-log-limit is too large: " + callLogLimit);
    }
    return new InvokerSettings(
        dataDir,
        d.cleaveHome(),
        nodeName == null || nodeName.isBlank() ? d.node() : nodeName.trim(),
        policy == null || policy.isBlank() ? (clustered ? Policy.REMOTE_FORK : Policy.FORK) : Policy.parse(policy),
        nodeMemory == null || nodeMemory.isBlank() ? d.memoryCapacityMb() : ServerConfig.parseBytes(nodeMemory) / ServerConfig.MB,
        InvokerSettings.parseDuration(capacityWait),
        InvokerSettings.parseDuration(seedIdle),
        forkAhead,
        (int) logLimit,
        InvokerSettings.parseDuration(activationRetention),
        activationMax,
        ServerConfig.parseBytes(activationMaxBytes),
        detachedParallelism,
        ServerConfig.parseBytes(maxResponse),
        jvmInstances,
        InvokerSettings.parseDuration(seedWait));
  }

  /** The node's per-app call limits; throws IllegalArgumentException on a bad value. */
  AppCallLimits.Defaults callLimits() {
    return new AppCallLimits.Defaults(appMaxConcurrency, appMaxCallsPerMinute);
  }

  public List<String> forkdJvmOptions() {
    return Arrays.stream(forkdJvmOptions.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * {@code CLEAVE_HOME} as the launcher sets it, else the Maven build's repository root, else the
   * checkout these classes were loaded from (a directory holding {@code sdk-python} and {@code forkd}),
   * else the working directory.
   */
  public static Path cleaveHome() {
    String home = System.getenv("CLEAVE_HOME");
    if (home == null || home.isBlank()) {
      home = System.getProperty("cleave.repo");
    }
    if (home != null && !home.isBlank()) {
      return Path.of(home).toAbsolutePath().normalize();
    }
    try {
      Path at = Path.of(ExecutionOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (Path p = at; p != null; p = p.getParent()) {
        if (Files.isDirectory(p.resolve("sdk-python")) && Files.isDirectory(p.resolve("forkd"))) {
          return p;
        }
      }
    } catch (URISyntaxException | SecurityException | NullPointerException e) {
      // no usable code location: fall back to the working directory
    }
    return Path.of("").toAbsolutePath();
  }
}
