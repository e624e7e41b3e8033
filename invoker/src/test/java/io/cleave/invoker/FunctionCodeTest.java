package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.bundle.BundleSource;
import io.cleave.common.bundle.TarGzUnpacker;
import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.error.ApiError;
import io.cleave.common.model.Fn;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FunctionCodeTest {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();
  private final AtomicInteger fetches = new AtomicInteger();

  @AfterEach
  void stop() {
    Waits.await(vertx.close());
  }

  private FunctionCode code() {
    Path store = dir.resolve("bundles");
    BundleSource local = digest -> {
      fetches.incrementAndGet();
      Path p = store.resolve(digest.hex() + ".tar.gz");
      return Files.exists(p) ? Future.succeededFuture(p) : Future.failedFuture(new ApiError(404, "no bundle " + digest));
    };
    return new FunctionCode(vertx, local, new TarGzUnpacker(UnpackLimits.DEFAULT), dir.resolve("unpacked"));
  }

  private Fn fn(String image) {
    return Calls.fn("f", image);
  }

  @Test
  void fnStyleEntrypointBecomesThePythonCommandAndTheBundleIsUnpackedOnce() throws Exception {
    String hex = Bundles.write(dir.resolve("bundles"), Map.of(
        "func.yaml", "schema_version: 20180708\nname: hello\nruntime: python\nentrypoint: /python/bin/fdk /function/main.py handle\n",
        "main.py", "def handle(ctx, data):\n    return 'hi'\n"));
    FunctionCode code = code();
    FunctionCode.Launch launch = Waits.await(code.launch(fn("bundle:sha256:" + hex), Map.of("A", "1")));
    assertEquals(List.of("/usr/bin/python3", "-m", "fdk", "/function/main.py", "handle"), launch.command());
    assertEquals(dir.resolve("unpacked").resolve(hex), launch.bundleDir());
    assertTrue(Files.isRegularFile(launch.bundleDir().resolve("main.py")));
    assertEquals("1", launch.env().get("A"));
    assertEquals("/cleave/sdk-python:/function:/function/.python_packages", launch.env().get("PYTHONPATH"));
    assertEquals("1", launch.env().get("PYTHONSAFEPATH"));
    Waits.await(code.launch(fn("bundle:sha256:" + hex), Map.of()));
    assertEquals(1, fetches.get());
    // A new node-local cache (a restart) finds the unpacked directory and fetches nothing.
    Waits.await(code().launch(fn("bundle:sha256:" + hex), Map.of()));
    assertEquals(1, fetches.get());
  }

  @Test
  void withoutFuncYamlTheDefaultIsFuncPyHandler() throws Exception {
    String hex = Bundles.write(dir.resolve("bundles"), Map.of("func.py", "def handler(ctx, data):\n    return 1\n"));
    FunctionCode.Launch launch = Waits.await(code().launch(fn("bundle:sha256:" + hex), Map.of()));
    assertEquals(List.of("/usr/bin/python3", "-m", "fdk", "/function/func.py", "handler"), launch.command());
  }

  @Test
  void aVersionedRuntimeRunsTheInterpreterOfThatVersion() throws Exception {
    String version = new String(new ProcessBuilder(FunctionCode.PYTHON, "-c",
        "import sys; print('python%d.%d' % sys.version_info[:2])").start().getInputStream().readAllBytes()).strip();
    String hex = Bundles.write(dir.resolve("bundles"), Map.of("func.yaml", "runtime: " + version + "\n", "func.py", ""));
    FunctionCode.Launch launch = Waits.await(code().launch(fn("cleave/bundle:sha256-" + hex), Map.of()));
    assertEquals("/usr/bin/" + version, launch.command().get(0));
  }

  @Test
  void aJavaFunctionStartsAJvmSeedOnTheRuntimeJarWithAHeapFromItsMemory() throws Exception {
    String plain = Bundles.write(dir.resolve("bundles"), Map.of(
        "func.yaml", "runtime: java\ncmd: com.example.fn.HelloFunction::handleRequest\n", "lib/hello.jar", "jar"));
    FunctionCode.Launch launch = Waits.await(code().launch(fn("bundle:sha256:" + plain), Map.of("A", "1")));
    assertInstanceOf(FunctionRuntime.Java.class, launch.runtime());
    List<String> cmd = launch.command();
    assertEquals("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", cmd.get(0));
    assertTrue(cmd.contains("-XX:+ExitOnOutOfMemoryError"), cmd.toString());
    assertTrue(cmd.contains("-Xmx80m"), "5/8 of the function's 128 MB: " + cmd);
    assertEquals(List.of("-cp", "/cleave/sdk-java/cleave-fdk-java.jar", "io.cleave.fdk.java.JavaSeed"),
        cmd.subList(cmd.size() - 3, cmd.size()));
    assertTrue(cmd.stream().noneMatch(a -> a.startsWith("-XX:SharedArchiveFile")), cmd.toString());
    assertEquals("com.example.fn.HelloFunction::handleRequest", launch.env().get("CLEAVE_JAVA_CMD"));
    assertEquals("/function", launch.env().get("CLEAVE_FUNCTION_DIR"));
    assertEquals("1", launch.env().get("A"));

    String withCds = Bundles.write(dir.resolve("bundles"), Map.of(
        "func.yaml", "runtime: java17\ncmd: com.example.fn.HelloFunction::handleRequest\n", "lib/hello.jar", "jar",
        "cds/app.jsa", "archive", "cds/classpath", "../cleave/sdk-java/cleave-fdk-java.jar\n"));
    cmd = Waits.await(code().launch(fn("bundle:sha256:" + withCds), Map.of())).command();
    assertTrue(cmd.contains("-XX:SharedArchiveFile=/function/cds/app.jsa"), cmd.toString());
    assertEquals("../cleave/sdk-java/cleave-fdk-java.jar", cmd.get(cmd.indexOf("-cp") + 1),
        "the archive's class path as it was made, from the seed's working directory /");

    String fromRoot = Bundles.write(dir.resolve("bundles"), Map.of(
        "func.yaml", "runtime: java\ncmd: com.example.fn.HelloFunction::handleRequest\n", "lib/hello.jar", "jar",
        "cds/app.jsa", "archive", "cds/classpath", "cleave/sdk-java/cleave-fdk-java.jar\n"));
    cmd = Waits.await(code().launch(fn("bundle:sha256:" + fromRoot), Map.of())).command();
    assertEquals("cleave/sdk-java/cleave-fdk-java.jar", cmd.get(cmd.indexOf("-cp") + 1), "cleave deploy's form");

    String elsewhere = Bundles.write(dir.resolve("bundles"), Map.of(
        "func.yaml", "runtime: java\ncmd: com.example.fn.HelloFunction::handleRequest\n", "lib/hello.jar", "jar",
        "cds/app.jsa", "archive", "cds/classpath", "/home/me/.m2/cleave-fdk-java.jar\n"));
    cmd = Waits.await(code().launch(fn("bundle:sha256:" + elsewhere), Map.of())).command();
    assertEquals("/cleave/sdk-java/cleave-fdk-java.jar", cmd.get(cmd.indexOf("-cp") + 1),
        "a class path instances cannot see is not used");
  }

  @Test
  void javaBundlesWithoutACmdOrLibGiveClearErrors() throws Exception {
    String noCmd = Bundles.write(dir.resolve("bundles"), Map.of("func.yaml", "runtime: java\n", "lib/a.jar", "x"));
    String badCmd = Bundles.write(dir.resolve("bundles"), Map.of("func.yaml", "runtime: java\ncmd: rm -rf /\n",
        "lib/a.jar", "x"));
    String noLib = Bundles.write(dir.resolve("bundles"), Map.of("func.yaml", "runtime: java\ncmd: a.B::c\n"));
    FunctionCode code = code();
    assertMessage(code, "bundle:sha256:" + noCmd, "needs cmd: <class>::<method>");
    assertMessage(code, "bundle:sha256:" + badCmd, "got 'rm -rf /'");
    assertMessage(code, "bundle:sha256:" + noLib, "the bundle has no lib/");
  }

  @Test
  void badBundlesGiveClearErrors() throws Exception {
    String javaRuntime = Bundles.write(dir.resolve("bundles"), Map.of("func.yaml", "runtime: java11\n", "func.py", ""));
    String noFile = Bundles.write(dir.resolve("bundles"), Map.of("func.yaml", "runtime: python\n"));
    String future = Bundles.write(dir.resolve("bundles"), Map.of("func.yaml", "runtime: python3.99\n", "func.py", ""));
    FunctionCode code = code();
    assertMessage(code, "bundle:sha256:" + javaRuntime, "runtime 'java11' is not available on this node (java, java17");
    assertMessage(code, "cleave/bundle:sha256-" + future, "runtime 'python3.99' is not available");
    assertMessage(code, "bundle:sha256:" + noFile, "the bundle has no func.py");
    assertMessage(code, "docker.io/hello:1", "is not a code bundle");
    assertMessage(code, null, "has no code yet");
    assertMessage(code, "bundle:sha256:" + "0".repeat(64), "cannot load the code of bundle");
    assertTrue(BundleDigest.parse("sha256:" + noFile).isPresent());
  }

  private static void assertMessage(FunctionCode code, String image, String part) {
    Exception e = assertThrows(Exception.class, () -> Waits.await(code.launch(Calls.fn("f", image), Map.of())));
    ApiError api = assertInstanceOf(ApiError.class, e);
    assertEquals(502, api.status());
    assertTrue(api.getMessage().contains(part), api.getMessage());
  }
}
