package io.cleave.cli.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.cli.CliRun;
import io.cleave.cli.cluster.NodeLauncher;
import io.cleave.client.CliFailure;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cleave init --runtime java} and deploy's build of it with the real Maven (the local
 * repository is the machine's: what Cleave's own build fetched), packed as deploy packs it, and
 * the bundle run by the real runtime with its AppCDS archive required (-Xshare:on).
 */
class JavaBuildTest {
  @TempDir Path tmp;

  private Path init(String name) {
    Path dir = tmp.resolve(name);
    CliRun r = CliRun.run("init", "--runtime", "java", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    return dir;
  }

  private Path build(Path dir, ByteArrayOutputStream progress) throws IOException {
    return new JavaBuild(NodeLauncher.cleaveHome(), new PrintStream(progress, true, StandardCharsets.UTF_8))
        .build(dir, FuncFile.read(dir), Files.createDirectories(tmp.resolve("work")));
  }

  @Test
  void initWritesFnsJavaHelloThatBuildsIntoABundleTheRuntimeServesWithItsArchive() throws Exception {
    Path dir = init("hello");
    assertEquals("""
        schema_version: 20180708
        name: hello
        version: 0.0.1
        runtime: java
        cmd: com.example.fn.HelloFunction::handleRequest
        memory: 256
        """, Files.readString(dir.resolve("func.yaml")));
    String pom = Files.readString(dir.resolve("pom.xml"));
    assertTrue(pom.contains("<artifactId>cleave-fn-api</artifactId>") && pom.contains("<scope>provided</scope>"), pom);
    assertTrue(Files.readString(dir.resolve("src/main/java/com/example/fn/HelloFunction.java")).contains("\"Hello, \" + name + \"!\""));
    assertTrue(Files.exists(dir.resolve("src/test/java/com/example/fn/HelloFunctionTest.java")));

    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    Path tree = build(dir, progress);
    String said = progress.toString(StandardCharsets.UTF_8);
    assertTrue(said.contains("Building hello with Maven"), said);
    assertTrue(said.contains("Built hello-1.0.0.jar and 0 runtime dependencies into lib/"), said);
    assertTrue(said.contains("Made the AppCDS archive cds/app.jsa"), said);

    FuncFile.read(dir).write(tree);
    BundleArchive.Packed packed = BundleArchive.pack(tree, tmp.resolve("bundle.tar.gz"));
    assertEquals(List.of("cds/", "cds/app.jsa", "cds/classpath", "func.yaml", "lib/", "lib/hello-1.0.0.jar"),
        entries(packed.file()), "func.yaml, the function's jar (no API: provided) and the archive; no sources");
    assertEquals(JavaBuild.SEED_CLASSPATH, Files.readString(tree.resolve("cds/classpath")));

    // The seed as forkd starts it: working directory / with the runtime jar at cleave/sdk-java/.
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path jarLink = root.resolve(JavaBuild.SEED_CLASSPATH);
    Files.createDirectories(jarLink.getParent());
    Files.createSymbolicLink(jarLink, NodeLauncher.cleaveHome().resolve("sdk-java/runtime/target/cleave-fdk-java.jar"));
    Path socket = root.resolve("fn.sock");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:SharedArchiveFile=" + tree.resolve("cds/app.jsa"), "-Xshare:on", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", Files.readString(tree.resolve("cds/classpath")), "io.cleave.fdk.java.JavaSeed")
        .directory(root.toFile()).redirectErrorStream(true).redirectOutput(root.resolve("seed.log").toFile());
    pb.environment().put("FN_LISTENER", "unix:" + socket);
    pb.environment().put("CLEAVE_JAVA_CMD", FuncFile.read(tree).cmd());
    pb.environment().put("CLEAVE_FUNCTION_DIR", tree.toString());
    Process seed = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(socket)) {
        assertTrue(seed.isAlive() && System.nanoTime() < deadline, () -> "the seed did not start: " + log(root));
        Thread.sleep(5);
      }
      assertTrue(call(socket, "Bob").endsWith("\r\n\r\nHello, Bob!"), () -> log(root));
    } finally {
      seed.destroyForcibly();
      seed.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aCompileErrorShowsMavensErrorLinesAndBuildsNothing() throws Exception {
    Path dir = init("broken");
    Path source = dir.resolve("src/main/java/com/example/fn/HelloFunction.java");
    Files.writeString(source, Files.readString(source).replace("\"Hello, \" + name + \"!\"", "\"Hello, \" + nam + \"!\""));
    CliFailure e = assertThrows(CliFailure.class, () -> build(dir, new ByteArrayOutputStream()));
    String m = e.getMessage();
    assertTrue(m.startsWith("the Maven build failed: Failed to execute goal"), m);
    assertTrue(m.contains("\n  src/main/java/com/example/fn/HelloFunction.java:[9,28] cannot find symbol\n    symbol:   variable nam\n"), m);
    assertFalse(m.contains("[Help 1]") || m.contains(dir.toAbsolutePath().toString() + "/src"), m);
    try (var left = Files.list(tmp.resolve("work"))) {
      assertEquals(1, left.count(), "the build's own tree only, which deploy deletes");
    }
  }

  private static List<String> entries(Path archive) throws IOException {
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(archive)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
      }
    }
    return names;
  }

  private static String call(Path socket, String body) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      OutputStream out = Channels.newOutputStream(ch);
      out.write(("POST /call HTTP/1.1\r\nHost: x\r\nFn-Call-Id: c1\r\nContent-Length: " + body.length()
          + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = Channels.newInputStream(ch);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String log(Path root) {
    try {
      return Files.readString(root.resolve("seed.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }
}
