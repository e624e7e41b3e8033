package io.cleave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.cli.cluster.NodeLauncher;
import io.cleave.cli.deploy.FuncFile;
import io.cleave.cli.deploy.JavaBuild;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cleave init --runtime java} and {@code cleave deploy} of it, built with the real Maven
 * (the local repository is the machine's: what Cleave's own build fetched), and the bundle the
 * server stored run by the real runtime with its AppCDS archive required (-Xshare:on).
 */
class CliJavaFunctionTest {
  static ApiServer server;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    server = ApiServer.start("cli-java", 64L << 20);
  }

  @AfterAll
  static void stop() throws IOException {
    if (server != null) {
      server.close();
    }
  }

  private Path init(String name) {
    Path dir = tmp.resolve(name);
    CliRun r = CliRun.run("init", "--runtime", "java", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    return dir;
  }

  @Test
  void initAndDeployBundleFnsJavaHelloWhichTheRuntimeServesWithItsArchive() throws Exception {
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

    CliRun r = server.ok("deploy", "--app", "javaapp", "--create-app", dir.toString());
    String said = r.out();
    assertTrue(said.contains("Building hello with Maven"), said);
    assertTrue(said.contains("Built hello-1.0.0.jar and 0 runtime dependencies into lib/"), said);
    assertTrue(said.contains("Made the AppCDS archive cds/app.jsa"), said);
    assertTrue(said.contains("Successfully created function: hello"), said);
    assertFalse(Files.exists(dir.resolve("lib")) || Files.exists(dir.resolve("cds")), "built aside, not in the function's directory");

    Path stored;
    try (var files = Files.walk(server.data())) {
      stored = files.filter(p -> p.toString().endsWith(".tar.gz")).findFirst().orElseThrow();
    }
    assertEquals(List.of("cds/", "cds/app.jsa", "cds/classpath", "func.yaml", "lib/", "lib/hello-1.0.0.jar"),
        entries(stored), "func.yaml, the function's jar (no API: provided) and the archive; no sources");
    Path tree = unpack(stored, Files.createDirectories(tmp.resolve("bundle")));
    assertTrue(Files.readString(tree.resolve("func.yaml")).contains("version: 0.0.2"));
    assertEquals(JavaBuild.SEED_CLASSPATH, Files.readString(tree.resolve("cds/classpath")));

    // The seed as forkd starts it: working directory / with the runtime jar at cleave/sdk-java/.
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path jarLink = root.resolve(JavaBuild.SEED_CLASSPATH);
    Files.createDirectories(jarLink.getParent());
    Files.createSymbolicLink(jarLink, NodeLauncher.cleaveHome().resolve("sdk-java/runtime/target/cleave-fdk-java.jar"));
    Path socket = root.resolve("fn.sock");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:SharedArchiveFile=" + tree.resolve("cds/app.jsa"), "-Xshare:on", "-XX:+UseG1GC", "-XX:TieredStopAtLevel=1",
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
    String yaml = Files.readString(dir.resolve("func.yaml"));
    CliRun r = server.fails("the Maven build failed: Failed to execute goal", "deploy", "--app", "javabroken", "--create-app",
        dir.toString());
    String m = r.err();
    assertTrue(m.contains("\n  src/main/java/com/example/fn/HelloFunction.java:[9,28] cannot find symbol\n    symbol:   variable nam\n"), m);
    assertFalse(m.contains("[Help 1]") || m.contains(dir.toAbsolutePath().toString() + "/src"), m);
    assertEquals(yaml, Files.readString(dir.resolve("func.yaml")), "func.yaml keeps its version");
    assertTrue(server.ok("list", "apps").out().lines().noneMatch(l -> l.contains("javabroken")), "no app was created");
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

  private static Path unpack(Path archive, Path into) throws IOException {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(archive)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        Path p = into.resolve(e.getName()).normalize();
        assertTrue(p.startsWith(into));
        if (e.isDirectory()) {
          Files.createDirectories(p);
        } else {
          Files.copy(tar, p);
        }
      }
    }
    return into;
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
