package io.cleave.bench;

import io.cleave.common.bundle.TarGzBundle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * The Java benchmark's function: Fn's Java hello compiled here with javac against the runtime jar
 * and bundled as {@code cleave deploy} lays a Java function out (func.yaml, lib/fn.jar), with and
 * without an AppCDS archive (cds/app.jsa and cds/classpath, made as {@code cleave deploy} makes
 * them: a training run of the runtime from a tree holding the runtime jar at
 * {@code cleave/sdk-java/}, so the archive's class path is the one a JVM seed starts with from /).
 */
record JavaHelloBundle(byte[] plain, byte[] withArchive, double archiveMb) {
  static final String CMD = "com.example.fn.HelloFunction::handleRequest";
  private static final String SOURCE = "/bench/java-hello/HelloFunction.java";
  /** The runtime jar's path relative to a JVM seed's working directory (/). */
  private static final String CLASSPATH = "cleave/sdk-java/cleave-fdk-java.jar";
  private static final long TRAINING_LIMIT_S = 120;

  static JavaHelloBundle build(Path runtimeJar, Path work, int memoryMb) throws IOException {
    if (!Files.isRegularFile(runtimeJar)) {
      throw new IOException("the Java runtime is not built (" + runtimeJar + " is missing): run ./cleave once to build it");
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) {
      throw new IOException("the Java benchmark compiles its function with javac: run it on a JDK, not a JRE");
    }
    Path src = Files.createDirectories(work.resolve("src/com/example/fn"));
    try (InputStream in = JavaHelloBundle.class.getResourceAsStream(SOURCE)) {
      Files.copy(in, src.resolve("HelloFunction.java"), StandardCopyOption.REPLACE_EXISTING);
    }
    Path classes = Files.createDirectories(work.resolve("classes"));
    if (javac.run(null, null, null, "-d", classes.toString(), "-cp", runtimeJar.toString(), "--release", "17",
        src.resolve("HelloFunction.java").toString()) != 0) {
      throw new IOException("the Java hello did not compile");
    }
    byte[] jar = jar(classes);
    Path function = Files.createDirectories(work.resolve("tree/function"));
    Files.createDirectories(function.resolve("lib"));
    Files.write(function.resolve("lib/fn.jar"), jar);
    byte[] yaml = ("schema_version: 20180708\nname: hello-java\nversion: 0.0.1\nruntime: java\ncmd: " + CMD + "\n")
        .getBytes(StandardCharsets.UTF_8);
    Path runtime = work.resolve("tree/cleave/sdk-java/cleave-fdk-java.jar");
    Files.createDirectories(runtime.getParent());
    Files.copy(runtimeJar, runtime, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
    Path archive = function.resolve("cds/app.jsa");
    Files.createDirectories(archive.getParent());
    train(function, archive, memoryMb);
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("func.yaml", yaml);
    files.put("lib/fn.jar", jar);
    byte[] plain = TarGzBundle.of(files);
    files.put("cds/app.jsa", Files.readAllBytes(archive));
    files.put("cds/classpath", CLASSPATH.getBytes(StandardCharsets.UTF_8));
    return new JavaHelloBundle(plain, TarGzBundle.of(files), Files.size(archive) / 1e6);
  }

  /** The runtime's training run (one instance, one call) under -XX:ArchiveClassesAtExit, from {@code function}'s parent. */
  private static void train(Path function, Path archive, int memoryMb) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ArchiveClassesAtExit=" + archive.toAbsolutePath(), "-Xshare:auto", "-Xlog:cds=off",
        "-Xlog:cds+dynamic=off", "-XX:+UseG1GC", "-Xss512k", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
        "-Xmx" + Math.max(8, memoryMb * 5L / 8) + "m", "-cp", CLASSPATH, "io.cleave.fdk.java.JavaSeed"));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(function.getParent().toFile()).redirectErrorStream(true);
    pb.environment().putAll(Map.of("CLEAVE_JAVA_TRAIN", "1", "CLEAVE_JAVA_CMD", CMD,
        "CLEAVE_FUNCTION_DIR", function.toAbsolutePath().toString()));
    Process p = pb.start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(TRAINING_LIMIT_S, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.isRegularFile(archive)) {
        throw new IOException("the AppCDS training run failed: " + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while training", e);
    } finally {
      p.destroyForcibly();
    }
  }

  private static byte[] jar(Path classes) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream out = new JarOutputStream(bytes); var files = Files.walk(classes)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
        out.putNextEntry(new JarEntry(classes.relativize(p).toString()));
        Files.copy(p, out);
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }
}
