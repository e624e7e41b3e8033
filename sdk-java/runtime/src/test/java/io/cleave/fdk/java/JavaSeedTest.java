package io.cleave.fdk.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime as forkd runs it: a real JVM seed process with test functions (compiled from test
 * resources into a function dir), called over its unix sockets with HTTP, driven over its control
 * socket. One seed per function class serves several tests to keep the JVM starts few.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JavaSeedTest {
  @TempDir
  static Path tmp;
  static Path functionDir;
  static SeedProcess hello;

  @BeforeAll
  static void startHello() throws Exception {
    functionDir = FunctionJars.functionDir(tmp);
    hello = SeedProcess.start(functionDir, "com.example.fn.HelloFunction::handleRequest",
        Map.of("GREETING", "Hi", "FN_APP_ID", "app1"), "-Xlog:class+unload=info:stdout");
  }

  @AfterAll
  static void stopHello() throws IOException {
    if (hello != null) {
      hello.close();
    }
  }

  @Test
  void stringInAndOutWithConfigFromFnConfiguration() throws Exception {
    UnixHttp.Answer a = UnixHttp.post(hello.listener, "Bob");
    assertEquals(200, a.status(), a.toString());
    assertEquals("Hi, Bob!", a.body());
    assertEquals("text/plain", a.headers().get("content-type"));
    assertEquals("Hi, world!", UnixHttp.post(hello.listener, "").body());
  }

  @Test
  void anExceptionAnswers502WithFnsMessageAndTheTraceInTheLog() throws Exception {
    UnixHttp.Answer a = UnixHttp.post(hello.listener, Map.of("Fn-Call-Id", "call-boom"), "boom");
    assertEquals(502, a.status());
    assertEquals("{\"message\":\"function failed\"}", a.body());
    assertFalse(a.body().contains("boom went"), "the exception text never reaches the caller");
    String log = hello.log();
    assertTrue(log.contains("call-boom") && log.contains("IllegalStateException: boom went the function")
        && log.contains("HelloFunction.handleRequest"), log);
    assertEquals(200, UnixHttp.post(hello.listener, "again").status(), "the instance keeps answering");
  }

  @Test
  void aSecondInstanceHasItsOwnConfigAndStopsAlone() throws Exception {
    Path second = hello.dir.resolve("fn-2.sock");
    String started = hello.control("{\"op\":\"start\",\"id\":\"two\",\"listener\":\"" + second
        + "\",\"env\":{\"GREETING\":\"Yo\",\"FN_APP_ID\":\"app1\"}}");
    assertTrue(started.startsWith("{\"ok\":true,\"init_ms\":"), started);
    assertEquals("Yo, Ann!", UnixHttp.post(second, "Ann").body());
    assertEquals("Hi, Ann!", UnixHttp.post(hello.listener, "Ann").body());
    assertTrue(hello.control("{\"op\":\"stats\"}").startsWith("{\"ok\":true,\"instances\":2,"));
    assertTrue(hello.control("{\"op\":\"start\",\"id\":\"two\",\"listener\":\"" + second + "x\"}")
        .contains("an instance with id two is running"));

    assertEquals("{\"ok\":true}", hello.control("{\"op\":\"stop\",\"id\":\"two\"}"));
    assertFalse(Files.exists(second), "a stopped instance's listener is gone");
    assertThrows(IOException.class, () -> UnixHttp.post(second, "Ann"));
    assertEquals("Hi, Ann!", UnixHttp.post(hello.listener, "Ann").body(), "the first instance keeps answering");
    assertTrue(hello.control("{\"op\":\"stop\",\"id\":\"two\"}").contains("no instance with id two"));
    assertTrue(hello.control("{\"op\":\"stats\"}").startsWith("{\"ok\":true,\"instances\":1,"));
  }

  @Test
  void anInstanceWithAnOutputFileWritesItsLogThere() throws Exception {
    Path sock = hello.dir.resolve("fn-o.sock");
    Path out = hello.dir.resolve("output-o");
    assertTrue(hello.control("{\"op\":\"start\",\"id\":\"o\",\"listener\":\"" + sock + "\",\"output\":\"" + out + "\"}")
        .contains("\"ok\":true"));
    assertEquals("Hello, Zed!", UnixHttp.post(sock, "Zed").body());
    assertEquals(502, UnixHttp.post(sock, Map.of("Fn-Call-Id", "call-o-boom"), "boom").status());
    assertEquals("Hi, Yan!", UnixHttp.post(hello.listener, "Yan").body());
    String own = Files.readString(out);
    assertTrue(own.contains("greeting Zed") && own.contains("call-o-boom") && !own.contains("greeting Yan"), own);
    assertFalse(hello.log().contains("greeting Zed"), "not in the seed's own output");
    assertTrue(hello.log().contains("greeting Yan"));
    assertTrue(hello.control("{\"op\":\"start\",\"id\":\"o2\",\"listener\":\"" + sock + "2\",\"output\":\"rel\"}")
        .contains("output must be an absolute path"));
    hello.control("{\"op\":\"stop\",\"id\":\"o\"}");
  }

  @Test
  void aStoppedInstancesClassesAreUnloaded() throws Exception {
    Path u = hello.dir.resolve("fn-u.sock");
    assertTrue(hello.control("{\"op\":\"start\",\"id\":\"u\",\"listener\":\"" + u + "\"}").contains("\"ok\":true"));
    assertEquals("Hello, U!", UnixHttp.post(u, "U").body());
    assertEquals("{\"ok\":true}", hello.control("{\"op\":\"stop\",\"id\":\"u\"}"));
    Process gc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(hello.pid()), "GC.run").redirectErrorStream(true).start();
    gc.getInputStream().readAllBytes();
    assertTrue(gc.waitFor(30, TimeUnit.SECONDS));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!hello.log().contains("unloading class com.example.fn.HelloFunction") && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(hello.log().contains("unloading class com.example.fn.HelloFunction"), hello.log());
    assertEquals("Hi, Al!", UnixHttp.post(hello.listener, "Al").body(), "the first instance's own class stays");
  }

  @Test
  void stopInterruptsACallInFlight() throws Exception {
    Path third = hello.dir.resolve("fn-3.sock");
    assertTrue(hello.control("{\"op\":\"start\",\"id\":\"3\",\"listener\":\"unix:" + third + "\",\"env\":{}}").contains("\"ok\":true"));
    Thread caller = new Thread(() -> {
      try {
        UnixHttp.post(third, "sleep");
      } catch (IOException expected) {
        // the connection closes when the instance stops
      }
    });
    caller.start();
    Thread.sleep(300);
    long t0 = System.nanoTime();
    assertEquals("{\"ok\":true}", hello.control("{\"op\":\"stop\",\"id\":\"3\"}"));
    caller.join(10_000);
    assertFalse(caller.isAlive(), "the caller's connection ended with the instance");
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
  }

  @Test
  void aCallPastItsDeadlineAnswers504WhileOtherInstancesKeepAnswering() throws Exception {
    Path slow = hello.dir.resolve("fn-slow.sock");
    assertTrue(hello.control("{\"op\":\"start\",\"id\":\"slow\",\"listener\":\"" + slow + "\",\"env\":{}}").contains("\"ok\":true"));
    String deadline = java.time.Instant.now().plusMillis(1500).toString();
    long t0 = System.nanoTime();
    UnixHttp.Answer[] late = new UnixHttp.Answer[1];
    Thread caller = new Thread(() -> {
      try {
        late[0] = UnixHttp.post(slow, Map.of("Fn-Call-Id", "call-late", "Fn-Deadline", deadline), "sleep");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    caller.start();
    Thread.sleep(300);
    assertEquals("Hi, Eve!", UnixHttp.post(hello.listener, "Eve").body(), "another instance answers meanwhile");
    caller.join(20_000);
    assertEquals(504, late[0].status(), String.valueOf(late[0]));
    assertEquals("{\"message\":\"function timed out\"}", late[0].body());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15), "answered at the deadline, not after the minute's sleep");
    assertEquals("Hello, Ann!", UnixHttp.post(slow, "Ann").body(), "the interrupted call ended; the instance serves again");
    assertTrue(hello.log().contains("call call-late ran past its deadline"), hello.log());
    hello.control("{\"op\":\"stop\",\"id\":\"slow\"}");
  }

  @Test
  void badControlRequestsGetClearErrorsAndChangeNothing() throws Exception {
    assertTrue(hello.control("not json").startsWith("{\"ok\":false,\"error\":\"bad JSON"));
    assertTrue(hello.control("{\"op\":\"start\",\"id\":\"r\",\"listener\":\"relative.sock\"}").contains("absolute path"));
    assertTrue(hello.control("{\"op\":\"explode\"}").contains("unknown op explode"));
    assertTrue(hello.isAlive());
  }

  @Test
  void pojoInAndOutAsJsonWithAConstructorTakingTheRuntimeContext() throws Exception {
    try (SeedProcess seed = SeedProcess.start(functionDir, "com.example.fn.PojoFunction::handleRequest", Map.of("FN_APP_ID", "app7"))) {
      UnixHttp.Answer a = UnixHttp.post(seed.listener, "{\"name\":\"Ada\",\"age\":36}");
      assertEquals(200, a.status(), a.toString());
      assertEquals("application/json", a.headers().get("content-type"));
      assertEquals("{\"message\":\"Hi Ada\",\"adult\":true,\"app\":\"app7\"}", a.body());
      UnixHttp.Answer bad = UnixHttp.post(seed.listener, "not json");
      assertEquals(502, bad.status());
      assertTrue(seed.log().contains("the input is not JSON of type com.example.fn.PojoFunction$Person"), seed.log());
    }
  }

  @Test
  void anFnFeatureRunsBeforeTheFunctionObjectIsMade() throws Exception {
    try (SeedProcess seed = SeedProcess.start(functionDir, "com.example.fn.FeatureFunction::handleRequest", Map.of())) {
      UnixHttp.Answer a = UnixHttp.post(seed.listener, "");
      assertEquals(200, a.status(), a.toString());
      assertEquals("set by the feature", a.body());
    }
  }

  @Test
  void httpGatewayContextSeesTheClientsRequestAndSetsItsAnswer() throws Exception {
    try (SeedProcess seed = SeedProcess.start(functionDir, "com.example.fn.GatewayFunction::handleRequest", Map.of())) {
      UnixHttp.Answer a = UnixHttp.post(seed.listener, Map.of("Fn-Call-Id", "c42", "Fn-Http-Method", "PUT",
          "Fn-Http-Request-Url", "/t/app/path?q=a%20b&z=1", "Fn-Http-H-X-Custom", "v1", "Fn-Intent", "httprequest"), "payload");
      assertEquals(200, a.status(), a.toString());
      assertEquals("PUT /t/app/path?q=a%20b&z=1 q=a b custom=v1 call=c42 body=payload", a.body());
      assertEquals("201", a.headers().get("fn-http-status"));
      assertEquals("ok", a.headers().get("fn-http-h-x-reply"));
      assertEquals("raw", a.headers().get("x-raw"));
    }
  }

  @Test
  void aFunctionThatDoesNotLoadGetsClearErrors() throws Exception {
    try (SeedProcess seed = SeedProcess.start(functionDir, "com.example.fn.Missing::handleRequest", Map.of())) {
      assertEquals(502, UnixHttp.post(seed.listener, "x").status());
      assertTrue(seed.log().contains("class com.example.fn.Missing not found in the function's jars"), seed.log());
      String answer = seed.control("{\"op\":\"start\",\"id\":\"1\",\"listener\":\"" + seed.dir.resolve("x.sock") + "\"}");
      assertTrue(answer.startsWith("{\"ok\":false,\"error\":\"class com.example.fn.Missing not found"), answer);
      assertFalse(Files.exists(seed.dir.resolve("x.sock")));
    }
    try (SeedProcess seed = SeedProcess.start(functionDir, "com.example.fn.BrokenConstructor::handleRequest", Map.of())) {
      String answer = seed.control("{\"op\":\"start\",\"id\":\"1\",\"listener\":\"" + seed.dir.resolve("x.sock") + "\"}");
      assertTrue(answer.contains("the constructor of com.example.fn.BrokenConstructor threw")
          && answer.contains("no database configured"), answer);
    }
  }

  @Test
  void trainingRunStartsTheFunctionOnceAndExits() throws Exception {
    List<String> cmd = SeedProcess.javaCommand();
    for (String fn : List.of("com.example.fn.HelloFunction::handleRequest", "com.example.fn.HelloFunction::nope")) {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().putAll(Map.of("CLEAVE_JAVA_TRAIN", "1", "CLEAVE_JAVA_CMD", fn, "CLEAVE_FUNCTION_DIR", functionDir.toString()));
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes());
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      if (fn.endsWith("nope")) {
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("method 'nope' not found as a public method of com.example.fn.HelloFunction"), out);
      } else {
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("training call answered 200"), out);
      }
    }
  }
}
