package io.cleave.server;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/** Starts real server compositions for tests: port 0, a temporary data dir, a cluster name of their own. */
final class TestServers {
  private TestServers() {}

  static ServerConfig config(Path dataDir) {
    return ServerConfig.defaults(dataDir).withPort(0)
        .withCluster("test-" + UUID.randomUUID(), 5701, List.of()).withAdminKey(Http.TEST_ADMIN_KEY);
  }

  static ServerComposition start(ServerConfig cfg, Execution.Factory execution) throws Exception {
    return ServerComposition.start(cfg, execution, "test");
  }

  static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
