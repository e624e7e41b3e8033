package io.cleave.registry;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.registry.bundle.BundleStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A real registry for tests: a standalone Hazelcast member in a cluster of its own, its RocksDB
 * copy and a bundle store in a temporary directory that {@link #close} removes.
 */
public final class RegistryFixture implements AutoCloseable {
  private final ServerConfig config;
  private final BundleStore bundles;
  private Registry registry;

  private RegistryFixture(ServerConfig config) {
    this.config = config;
    this.bundles = new BundleStore(config.dataDir(), config.unpackLimits());
    this.registry = Registry.open(config, bundles);
  }

  public static RegistryFixture open() {
    return open(UnaryOperator.identity());
  }

  /** Opens one on the test defaults (API port 0, a fresh cluster name) as {@code adjust} changes them. */
  public static RegistryFixture open(UnaryOperator<ServerConfig> adjust) {
    Path dir;
    try {
      dir = Files.createTempDirectory("cleave-registry");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ServerConfig defaults = ServerConfig.defaults(dir).withPort(0)
        .withCluster("test-" + UUID.randomUUID(), 5701, List.of()).withAdminKey(Http.TEST_ADMIN_KEY);
    try {
      return new RegistryFixture(adjust.apply(defaults));
    } catch (RuntimeException e) {
      deleteTree(dir);
      throw e;
    }
  }

  public ServerConfig config() {
    return config;
  }

  public Registry registry() {
    return registry;
  }

  public BundleStore bundles() {
    return bundles;
  }

  public Path dataDir() {
    return config.dataDir();
  }

  /** Closes the registry and opens it again from what it kept on disk. */
  public Registry reopen() {
    registry.close();
    registry = Registry.open(config, bundles);
    return registry;
  }

  @Override
  public void close() {
    try {
      registry.close();
    } finally {
      deleteTree(config.dataDir());
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
