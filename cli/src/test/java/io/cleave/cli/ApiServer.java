package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.server.ServerComposition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A server composition in this JVM without the execution side (port 0, temporary data
 * directory, a cluster of its own), for the commands that only manage apps, functions and
 * triggers; and the CLI pointed at it.
 */
final class ApiServer implements AutoCloseable {
  final String url;
  private final Path data;
  private final ServerComposition server;

  private ApiServer(Path data, ServerComposition server) {
    this.data = data;
    this.server = server;
    this.url = server.url();
  }

  /** {@code bundleLimit}: the largest bundle upload the server takes, in bytes. */
  static ApiServer start(String label, long bundleLimit) throws Exception {
    Path data = Files.createTempDirectory("cleave-" + label + "-");
    ServerConfig d = ServerConfig.defaults(data);
    ServerConfig cfg = new ServerConfig(d.host(), 0, data, label + "-" + UUID.randomUUID(), d.clusterHost(), 5701,
        List.of(), d.invokeBodyLimit(), d.apiBodyLimit(), bundleLimit, d.unpackLimits(), 1, "", d.bundleStorage(), d.httpEdge(),
        Http.TEST_ADMIN_KEY);
    return new ApiServer(data, ServerComposition.start(cfg, null, "test"));
  }

  /** The server's data directory (stored bundles are under it). */
  Path data() {
    return data;
  }

  /** Runs the CLI against this server, with its admin key. */
  CliRun cli(String... args) {
    String[] full = new String[args.length + 4];
    System.arraycopy(args, 0, full, 0, args.length);
    full[args.length] = "--api-url";
    full[args.length + 1] = url;
    full[args.length + 2] = "--api-key";
    full[args.length + 3] = Http.TEST_ADMIN_KEY;
    return CliRun.run(full);
  }

  CliRun ok(String... args) {
    CliRun r = cli(args);
    assertEquals(0, r.exit(), () -> String.join(" ", args) + "\n" + r);
    return r;
  }

  /** Exit code 1 with {@code expectedMessage} on stderr, one line, no stack trace. */
  CliRun fails(String expectedMessage, String... args) {
    CliRun r = cli(args);
    assertEquals(1, r.exit(), () -> String.join(" ", args) + "\n" + r);
    assertTrue(r.err().contains(expectedMessage), () -> "expected '" + expectedMessage + "'\n" + r);
    assertFalse(r.err().contains("Exception"), r::toString);
    assertFalse(r.err().contains("\tat "), r::toString);
    return r;
  }

  @Override
  public void close() throws IOException {
    server.close();
    try (Stream<Path> walk = Files.walk(data)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
