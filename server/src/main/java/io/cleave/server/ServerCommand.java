package io.cleave.server;

import io.cleave.common.access.KeyFile;
import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.config.BundleStorage;
import io.cleave.common.config.HttpEdgeLimits;
import io.cleave.common.config.ServerConfig;
import io.cleave.invoker.InvokerSettings;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cleave server}: the embedded platform (gateway, registry, node) in this process. */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = "Run the Cleave platform: Fn v2 API, registry (Hazelcast + RocksDB) and this node.")
public final class ServerCommand implements Callable<Integer> {

  @Option(names = "--host", defaultValue = "${env:CLEAVE_HOST:-127.0.0.1}",
      description = "HTTP listen address (env CLEAVE_HOST, default ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--port", defaultValue = "${env:CLEAVE_PORT:-8080}",
      description = "HTTP port, 0 picks a free one (env CLEAVE_PORT, default ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--data-dir", defaultValue = "${env:CLEAVE_DATA_DIR:-./.cleave-data}",
      description = "where the server keeps its state (env CLEAVE_DATA_DIR, default ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--members", defaultValue = "${env:CLEAVE_MEMBERS:-}",
      description = "comma-separated Hazelcast members host[:port] to join; empty runs standalone (env CLEAVE_MEMBERS)")
  String members;

  @Option(names = "--cluster-name", defaultValue = "${env:CLEAVE_CLUSTER_NAME:-cleave}",
      description = "Hazelcast cluster name (env CLEAVE_CLUSTER_NAME, default ${DEFAULT-VALUE})")
  String clusterName;

  @Option(names = "--cluster-host", defaultValue = "${env:CLEAVE_CLUSTER_HOST:-127.0.0.1}",
      description = "address Hazelcast binds and announces (env CLEAVE_CLUSTER_HOST, default ${DEFAULT-VALUE})")
  String clusterHost;

  @Option(names = "--cluster-port", defaultValue = "${env:CLEAVE_CLUSTER_PORT:-5701}",
      description = "first Hazelcast port tried, counting up if taken (env CLEAVE_CLUSTER_PORT, default ${DEFAULT-VALUE})")
  int clusterPort;

  @Option(names = "--cluster-secret", defaultValue = "${env:CLEAVE_CLUSTER_SECRET:-}",
      description = "secret shared by the members: calls a full node forwards to another carry it; empty turns"
          + " forwarding off (env CLEAVE_CLUSTER_SECRET; prefer the environment, a flag shows in ps)")
  String clusterSecret;

  @Option(names = "--admin-key", defaultValue = "${env:CLEAVE_ADMIN_KEY:-}",
      description = "an admin API key this server accepts besides the registry's (at least 16 characters; not stored);"
          + " with it no first admin key is made (env CLEAVE_ADMIN_KEY; prefer the environment, a flag shows in ps)")
  String adminKey;

  @Option(names = "--key-file", defaultValue = "${env:CLEAVE_KEY_FILE:-}",
      description = "where the first admin key is written (env CLEAVE_KEY_FILE, default ~/.cleave/key)")
  String keyFile;

  @Option(names = "--max-invoke-body", defaultValue = "${env:CLEAVE_MAX_INVOKE_BODY:-6m}",
      description = "largest invoke/trigger request body (env CLEAVE_MAX_INVOKE_BODY, default ${DEFAULT-VALUE})")
  String maxInvokeBody;

  @Option(names = "--max-api-body", defaultValue = "${env:CLEAVE_MAX_API_BODY:-1m}",
      description = "largest management API JSON body (env CLEAVE_MAX_API_BODY, default ${DEFAULT-VALUE})")
  String maxApiBody;

  @Option(names = "--max-bundle", defaultValue = "${env:CLEAVE_MAX_BUNDLE:-64m}",
      description = "largest code bundle upload (env CLEAVE_MAX_BUNDLE, default ${DEFAULT-VALUE})")
  String maxBundle;

  @Option(names = "--max-unpacked", defaultValue = "${env:CLEAVE_MAX_UNPACKED:-512m}",
      description = "largest total unpacked size of a bundle (env CLEAVE_MAX_UNPACKED, default ${DEFAULT-VALUE})")
  String maxUnpacked;

  @Option(names = "--max-bundle-entries", defaultValue = "${env:CLEAVE_MAX_BUNDLE_ENTRIES:-20000}",
      description = "most entries in a bundle (env CLEAVE_MAX_BUNDLE_ENTRIES, default ${DEFAULT-VALUE})")
  int maxBundleEntries;

  @Option(names = "--app-bundle-quota", defaultValue = "${env:CLEAVE_APP_BUNDLE_QUOTA:-1g}",
      description = "most bytes of distinct bundles one app's functions may use (env CLEAVE_APP_BUNDLE_QUOTA, default ${DEFAULT-VALUE})")
  String appBundleQuota;

  @Option(names = "--bundle-grace", defaultValue = "${env:CLEAVE_BUNDLE_GRACE:-10m}",
      description = "a bundle no function uses is removed after this long (env CLEAVE_BUNDLE_GRACE, default ${DEFAULT-VALUE})")
  String bundleGrace;

  @Option(names = "--http-instances", defaultValue = "${env:CLEAVE_HTTP_INSTANCES:-0}",
      description = "HTTP server instances (event loops); 0 means one per core (env CLEAVE_HTTP_INSTANCES)")
  int httpInstances;

  @Option(names = "--http-header-timeout", defaultValue = "${env:CLEAVE_HTTP_HEADER_TIMEOUT:-10}",
      description = "seconds a new connection has to send its request headers (env CLEAVE_HTTP_HEADER_TIMEOUT,"
          + " default ${DEFAULT-VALUE})")
  int httpHeaderTimeout;

  @Option(names = "--http-body-timeout", defaultValue = "${env:CLEAVE_HTTP_BODY_TIMEOUT:-120}",
      description = "seconds a request has to send its body, 408 beyond (env CLEAVE_HTTP_BODY_TIMEOUT,"
          + " default ${DEFAULT-VALUE})")
  int httpBodyTimeout;

  @Option(names = "--http-idle-timeout", defaultValue = "${env:CLEAVE_HTTP_IDLE_TIMEOUT:-30}",
      description = "seconds a connection may wait for its next request (env CLEAVE_HTTP_IDLE_TIMEOUT,"
          + " default ${DEFAULT-VALUE})")
  int httpIdleTimeout;

  @Option(names = "--max-connections", defaultValue = "${env:CLEAVE_MAX_CONNECTIONS:-0}",
      description = "most API connections open at once; 0 means half the open-file limit (env CLEAVE_MAX_CONNECTIONS)")
  int maxConnections;

  @Option(names = "--max-connections-per-client", defaultValue = "${env:CLEAVE_MAX_CONNECTIONS_PER_CLIENT:-512}",
      description = "most API connections open at once from one client address (env"
          + " CLEAVE_MAX_CONNECTIONS_PER_CLIENT, default ${DEFAULT-VALUE})")
  int maxConnectionsPerClient;

  /** Builds the configuration these flags describe. */
  public ServerConfig config() {
    List<String> memberList = Arrays.stream(members.split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).toList();
    return new ServerConfig(host, port, dataDir, clusterName, clusterHost, clusterPort, memberList,
        ServerConfig.parseBytes(maxInvokeBody), ServerConfig.parseBytes(maxApiBody), ServerConfig.parseBytes(maxBundle),
        new UnpackLimits(ServerConfig.parseBytes(maxUnpacked), maxBundleEntries),
        httpInstances > 0 ? httpInstances : Math.max(1, Runtime.getRuntime().availableProcessors()), clusterSecret,
        new BundleStorage(ServerConfig.parseBytes(appBundleQuota), InvokerSettings.parseDuration(bundleGrace)),
        new HttpEdgeLimits(httpHeaderTimeout, httpBodyTimeout, httpIdleTimeout, maxConnections, maxConnectionsPerClient),
        adminKey);
  }

  @Mixin ExecutionOptions executionOptions;

  /** The execution side of this node: forkd and the invoker. */
  Execution.Factory execution(ServerConfig cfg) {
    return NodeExecution.factory(executionOptions.settings(cfg.dataDir().toAbsolutePath().normalize(),
        cfg.members().size() > 1),
        executionOptions.callLimits(), executionOptions.forkdJvmOptions(), Map.of());
  }

  /** Runs the server alone (what `cleave server` runs), for programs that start servers as processes. */
  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new ServerCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    ServerConfig cfg;
    Execution.Factory execution;
    try {
      cfg = config();
      execution = execution(cfg);
    } catch (IllegalArgumentException e) {
      System.err.println("cleave: " + e.getMessage());
      return 2;
    }
    ServerComposition server;
    try {
      server = ServerComposition.start(cfg, execution, version());
    } catch (Exception e) {
      // The outermost message that is ours says what failed; wrappers (ExecutionException) add nothing.
      Throwable shown = e;
      while ((shown instanceof java.util.concurrent.ExecutionException || shown.getMessage() == null)
          && shown.getCause() != null) {
        shown = shown.getCause();
      }
      System.err.println("cleave: cannot start: " + (shown.getMessage() == null ? shown : shown.getMessage()));
      return 1;
    }
    try {
      FirstAdminKey.ensure(server.registry().apiKeys(), !cfg.adminKey().isEmpty(),
          keyFile.isBlank() ? KeyFile.defaultPath() : Path.of(keyFile), System.err);
    } catch (RuntimeException e) {
      server.close();
      System.err.println("cleave: cannot start: the first admin key: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "cleave-shutdown"));
    String cluster = cfg.members().isEmpty() ? "" : ", cluster member " + server.registry().clusterAddress()
        + " of " + server.registry().hazelcast().getCluster().getMembers().size();
    System.out.println("cleave: listening on " + server.url() + " (data: " + server.config().dataDir() + cluster + ")");
    System.out.flush();
    stopped.await();
    return 0;
  }

  static String version() {
    String v = ServerCommand.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-dev" : v;
  }
}
