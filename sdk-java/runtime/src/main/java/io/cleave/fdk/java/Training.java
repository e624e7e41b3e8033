package io.cleave.fdk.java;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Deploy's training run (CLEAVE_JAVA_TRAIN): starts an instance of the function as a seed would,
 * answers one call through its own socket and a control request, then exits. Run under
 * -XX:ArchiveClassesAtExit it leaves an AppCDS archive of every class a cold start loads; it also
 * checks, at deploy, that cmd names a function that loads and configures.
 */
final class Training {
  private Training() {}

  /** The process's exit status: 0 when the instance started and answered. */
  static int run(String cmd, Path functionDir, Map<String, String> config) {
    Path dir;
    try {
      dir = Files.createTempDirectory("cleave-java-train");
    } catch (IOException e) {
      System.err.println("cleave-fdk-java: training needs a temporary directory: " + e);
      return 1;
    }
    FunctionInstance instance = null;
    try {
      instance = FunctionInstance.start("train", dir.resolve("fn.sock"), cmd, functionDir, config, null, false);
      int status = callOnce(dir.resolve("fn.sock"));
      new JavaSeed(cmd, functionDir).handle("{\"op\":\"stats\"}");
      System.out.println("cleave-fdk-java: training call answered " + status);
      return 0;
    } catch (StartFailure e) {
      System.err.println("cleave-fdk-java: the function does not start: " + e.getMessage());
      if (e.getCause() != null) {
        e.getCause().printStackTrace(System.err);
      }
      return 1;
    } catch (IOException e) {
      System.err.println("cleave-fdk-java: the training call failed: " + e);
      return 1;
    } finally {
      if (instance != null) {
        instance.stop();
      }
      removeTree(dir);
    }
  }

  private static int callOnce(Path socket) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      OutputStream out = Channels.newOutputStream(ch);
      out.write(("POST /call HTTP/1.1\r\nHost: localhost\r\nFn-Call-Id: training\r\nFn-Deadline: "
          + Instant.now().plusSeconds(30) + "\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = Channels.newInputStream(ch);
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      String[] statusLine = answer.split(" ", 3);
      return statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1;
    } catch (NumberFormatException e) {
      throw new IOException("malformed answer", e);
    }
  }

  private static void removeTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is harmless
    }
  }
}
