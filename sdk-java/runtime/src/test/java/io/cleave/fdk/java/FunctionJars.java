package io.cleave.fdk.java;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Test functions (test resources functions/**.java) compiled against the API into a function dir's lib/fn.jar. */
final class FunctionJars {
  private FunctionJars() {}

  static Path functionDir(Path parent) throws IOException {
    Path src = Path.of(System.getProperty("user.dir"), "src", "test", "resources", "functions");
    Path classes = Files.createDirectories(parent.resolve("classes"));
    List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path"), "-nowarn"));
    try (Stream<Path> files = Files.walk(src)) {
      files.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac.run(null, null, null, args.toArray(String[]::new)) != 0) {
      throw new IOException("test functions did not compile");
    }
    Path lib = Files.createDirectories(parent.resolve("function").resolve("lib"));
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(lib.resolve("fn.jar")));
         Stream<Path> files = Files.walk(classes)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        jar.putNextEntry(new JarEntry(classes.relativize(p).toString()));
        Files.copy(p, jar);
        jar.closeEntry();
      }
    }
    return parent.resolve("function");
  }
}
