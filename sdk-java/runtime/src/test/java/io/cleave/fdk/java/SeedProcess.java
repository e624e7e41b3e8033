package io.cleave.fdk.java;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The runtime started as forkd starts a JVM seed: a java process running JavaSeed with
 * FN_LISTENER, CLEAVE_JAVA_CONTROL, CLEAVE_JAVA_CMD and CLEAVE_FUNCTION_DIR, its output in a file.
 */
final class SeedProcess implements AutoCloseable {
  final Path dir;
  final Path listener;
  final Path control;
  final Path log;
  private final Process process;
  private SocketChannel controlChannel;
  private BufferedReader controlIn;
  private OutputStream controlOut;

  private SeedProcess(Path dir, Process process) {
    this.dir = dir;
    this.listener = dir.resolve("fn.sock");
    this.control = dir.resolve("control.sock");
    this.log = dir.resolve("seed.log");
    this.process = process;
  }

  /** The runtime's classes as the test JVM has them (runtime, API, Jackson): java.class.path. */
  static List<String> javaCommand(String... extra) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseG1GC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xmx128m"));
    cmd.addAll(List.of(extra));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.cleave.fdk.java.JavaSeed"));
    return cmd;
  }

  static SeedProcess start(Path functionDir, String fnCmd, Map<String, String> config, String... jvmFlags)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("cleave-seed-test");
    ProcessBuilder pb = new ProcessBuilder(javaCommand(jvmFlags));
    pb.environment().putAll(config);
    pb.environment().put("FN_LISTENER", "unix:" + dir.resolve("fn.sock"));
    pb.environment().put("FN_FORMAT", "http-stream");
    pb.environment().put("CLEAVE_JAVA_CONTROL", "unix:" + dir.resolve("control.sock"));
    pb.environment().put("CLEAVE_JAVA_CMD", fnCmd);
    pb.environment().put("CLEAVE_FUNCTION_DIR", functionDir.toString());
    pb.redirectErrorStream(true).redirectOutput(dir.resolve("seed.log").toFile());
    SeedProcess seed = new SeedProcess(dir, pb.start());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(seed.listener)) {
      if (!seed.process.isAlive() || System.nanoTime() > deadline) {
        String out = seed.log();
        seed.close();
        throw new IOException("the seed did not start listening: " + out);
      }
      Thread.sleep(5);
    }
    return seed;
  }

  /** One control request and its answer line. */
  String control(String json) throws IOException {
    if (controlChannel == null) {
      controlChannel = SocketChannel.open(StandardProtocolFamily.UNIX);
      controlChannel.connect(UnixDomainSocketAddress.of(control));
      controlIn = new BufferedReader(new InputStreamReader(Channels.newInputStream(controlChannel), StandardCharsets.UTF_8));
      controlOut = Channels.newOutputStream(controlChannel);
    }
    controlOut.write((json + "\n").getBytes(StandardCharsets.UTF_8));
    controlOut.flush();
    return controlIn.readLine();
  }

  String log() throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  boolean isAlive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws IOException {
    if (controlChannel != null) {
      controlChannel.close();
    }
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(dir);
  }
}
