package io.cleave.server;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.invoker.InvokerSettings;
import io.cleave.invoker.Policy;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Whole nodes (registry, gateway, invoker, forkd) in this JVM, joined as one cluster on 127.0.0.1. */
final class ClusterNodes {
  /**
   * What differs between the nodes of a test: its name in records, policy, memory for instances,
   * --fork-ahead, --seed-idle (null: the default).
   */
  record Node(String name, Policy policy, long memoryMb, int forkAhead, Duration seedIdle) {
    /** A node that forks (and restores) only when a call comes. */
    Node(String name, Policy policy, long memoryMb) {
      this(name, policy, memoryMb, 0, null);
    }
  }

  private ClusterNodes() {}

  /** Starts the nodes in order, under {@code data}, sharing {@code secret} ("" for none). */
  static List<ServerComposition> start(Path data, String secret, Node... nodes) throws Exception {
    List<String> members = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      int port = freePort();
      ports.add(port);
      members.add("127.0.0.1:" + port);
    }
    String cluster = "nodes-" + UUID.randomUUID();
    List<ServerComposition> started = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      Node n = nodes[i];
      ServerConfig config = ServerConfig.defaults(data.resolve(n.name())).withPort(0)
          .withCluster(cluster, ports.get(i), members).withClusterSecret(secret)
          .withAdminKey(Http.TEST_ADMIN_KEY);
      InvokerSettings d = ExecutionEndToEndTest.settings(config.dataDir(), n.policy(), 4);
      InvokerSettings settings = new InvokerSettings(d.dataDir(), d.cleaveHome(), n.name(), n.policy(), n.memoryMb(),
          Duration.ofSeconds(2), n.seedIdle() != null ? n.seedIdle() : d.seedIdle(), n.forkAhead(), d.logLimitBytes(), d.activationMaxAge(), d.activationMaxRecords(),
          d.activationMaxBytes(), d.detachedParallelism(), d.maxResponseBytes(), InvokerSettings.DEFAULT_JVM_INSTANCES,
          SEED_WAIT);
      started.add(ServerComposition.start(config,
          NodeExecution.factory(settings, List.of("-XX:+UseSerialGC", "-Xmx256m")), "test"));
    }
    return started;
  }

  /**
   * How long calls wait for a seed another node starts: longer than the default, so a seed whose
   * start a loaded machine slows past 10 s is still waited for, as the tests that count starts expect.
   */
  static final Duration SEED_WAIT = Duration.ofSeconds(45);

  /** Stops the nodes, the last started first. */
  static void stop(List<ServerComposition> nodes) {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
