package io.cleave.server;

import io.cleave.common.bundle.TarGzBundle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Bundles of Java functions as {@code cleave deploy} lays them out (func.yaml, lib/*.jar): the
 * test functions under the test resources' {@code java-functions/} compiled with javac against the
 * runtime jar the build left in the checkout (the Fn API comes from it, as in a deployed function).
 */
final class JavaBundles {
  private JavaBundles() {}

  /** The runtime jar forkd serves; the test cannot run without a build of sdk-java. */
  static Path runtimeJar() {
    Path jar = ExecutionOptions.cleaveHome().resolve("sdk-java/runtime/target/cleave-fdk-java.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no " + jar + ": build it first (mvn -B -o package -pl sdk-java/runtime -am -DskipTests)");
    }
    return jar;
  }

  /** The test functions compiled into one jar's bytes. */
  static byte[] functionsJar(Path work) throws IOException {
    Path src = Path.of(System.getProperty("user.dir"), "src", "test", "resources", "java-functions");
    Path classes = Files.createDirectories(work.resolve("classes"));
    List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", runtimeJar().toString(),
        "--release", "17", "-nowarn"));
    try (Stream<Path> files = Files.walk(src)) {
      files.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac.run(null, null, null, args.toArray(String[]::new)) != 0) {
      throw new IOException("the Java test functions did not compile");
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream jar = new JarOutputStream(bytes); Stream<Path> files = Files.walk(classes)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
        jar.putNextEntry(new JarEntry(classes.relativize(p).toString()));
        Files.copy(p, jar);
        jar.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  /**
   * cds/app.jsa and cds/classpath for {@code jar}'s {@code cmd}, made as {@code cleave deploy} does:
   * the runtime's training run under -XX:ArchiveClassesAtExit from a tree holding the runtime jar at
   * {@code cleave/sdk-java/}, so the class path is the one a JVM seed starts with from /.
   */
  static Map<String, byte[]> archive(byte[] jar, String cmd, Path work) throws IOException, InterruptedException {
    String classpath = "cleave/sdk-java/cleave-fdk-java.jar";
    Path tree = Files.createDirectories(work.resolve("tree"));
    Path function = Files.createDirectories(tree.resolve("function").resolve("lib"));
    Files.write(function.resolve("fn.jar"), jar);
    Files.createDirectories(tree.resolve(classpath).getParent());
    Files.copy(runtimeJar(), tree.resolve(classpath), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    Path jsa = tree.resolve("app.jsa");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ArchiveClassesAtExit=" + jsa, "-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
        "-XX:+UseG1GC", "-XX:TieredStopAtLevel=1", "-Xmx80m", "-cp", classpath, "io.cleave.fdk.java.JavaSeed")
        .directory(tree.toFile()).redirectErrorStream(true);
    pb.environment().putAll(Map.of("CLEAVE_JAVA_TRAIN", "1", "CLEAVE_JAVA_CMD", cmd,
        "CLEAVE_FUNCTION_DIR", tree.resolve("function").toString()));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0 || !Files.isRegularFile(jsa)) {
      throw new IOException("the AppCDS training run failed: " + out);
    }
    return Map.of("cds/app.jsa", Files.readAllBytes(jsa), "cds/classpath", classpath.getBytes(StandardCharsets.UTF_8));
  }

  /** A bundle running {@code cmd} (class::method) from {@code jar}, with more files (such as cds/) when given. */
  static byte[] bundle(byte[] jar, String cmd, Map<String, byte[]> more) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("func.yaml", ("schema_version: 20180708\nname: " + cmd.substring(cmd.lastIndexOf('.') + 1, cmd.indexOf(':'))
        .toLowerCase() + "\nversion: 0.0.1\nruntime: java\ncmd: " + cmd + "\n").getBytes(StandardCharsets.UTF_8));
    files.put("lib/fn.jar", jar);
    files.putAll(more);
    return TarGzBundle.of(files);
  }
}
