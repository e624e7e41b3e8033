package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server whose file descriptors run out (EMFILE) keeps accepting once they free up: its accept
 * loop pauses instead of dying, and nothing on that path loads a class (which needs a descriptor
 * when classes come from a directory, as here).
 */
@Timeout(60)
class FdExhaustionTest {
  /** Descriptors the server may open beyond those it holds once started. */
  private static final int HEADROOM = 64;

  @TempDir Path dir;

  @Test
  void acceptsAgainAfterRunningOutOfFileDescriptors() throws Exception {
    // The caps would refuse connections long before the descriptors run out: lift them.
    try (ServerProcess server = ServerProcess.start(dir.resolve("data"), "fd-" + UUID.randomUUID(),
        "--max-connections", "100000", "--max-connections-per-client", "100000")) {
      long pid = server.process.pid();
      assertEquals(200, get(server.url + "/version").statusCode());
      long limit = openFiles(pid) + HEADROOM;
      Process prlimit = new ProcessBuilder("prlimit", "--pid", Long.toString(pid), "--nofile=" + limit + ":" + limit)
          .inheritIO().start();
      assertEquals(0, prlimit.waitFor());

      URI uri = URI.create(server.url);
      List<Socket> held = new ArrayList<>();
      try {
        // Connections complete in the kernel's backlog whether or not the server accepts them.
        for (int i = 0; i < 3 * HEADROOM; i++) {
          Socket s = new Socket();
          s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
          held.add(s);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (openFiles(pid) < limit - 2 && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertTrue(openFiles(pid) >= limit - 2, "the server never ran out of descriptors: "
            + openFiles(pid) + " open of " + limit + "; the server said:\n" + server.output);
      } finally {
        for (Socket s : held) {
          s.close();
        }
      }

      // Once the clients let go, a new request is answered (the accept loop retries within a second).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      IOException last = null;
      while (System.nanoTime() < deadline) {
        try {
          assertEquals(200, get(server.url + "/version").statusCode());
          assertFalse(server.output.toString().contains("NoClassDefFoundError"), server.output.toString());
          return;
        } catch (IOException e) {
          last = e;
          Thread.sleep(200);
        }
      }
      throw new AssertionError("no answer within 15 s of the descriptors freeing up; the server said:\n"
          + server.output, last);
    }
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static long openFiles(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return fds.count();
    }
  }
}
