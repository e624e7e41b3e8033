package io.cleave.forkd;

import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The instance sandbox against a hostile function (test resource hostile/hostile.py) run by the
 * real runtime: each attack seen from inside a deployed function is refused, while what a
 * function may do (numpy, PIL, /tmp) works.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForkdSandboxTest {
  @RegisterExtension
  final ForkdOnce once = new ForkdOnce("forkd-sandbox");
  /** 128 MB instances get a quarter of a cpu: low enough to tell from an unbounded burn on two cores. */
  private static final int MB_PER_CPU = 512;
  private static final String DENIED_EPERM = "denied: Operation not permitted";

  ForkdProcess forkd;
  Path bundle;

  @BeforeAll
  void startForkd() throws Exception {
    forkd = once.start(Map.of("CLEAVE_FORKD_MB_PER_CPU", Integer.toString(MB_PER_CPU)));
    bundle = once.bundle("bundle", "/hostile/hostile.py", "hostile.py");
  }

  private StartedInstance cold() throws Exception {
    return forkd.await(forkd.client.start(StartRequest.cold("fn1", "app1", bundle.toString(), 128,
        ForkdProcess.command("hostile.py"), ForkdProcess.env(Map.of()))));
  }

  /** What an attack got: an object, or {"answer": "denied: <error>" | "got ..."}. */
  private JsonObject answer(StartedInstance s, String body) throws Exception {
    return forkd.call(s.listener(), body);
  }

  @Test
  void theHostRootIsNotThere() throws Exception {
    StartedInstance s = cold();
    List<String> paths = List.of(ForkdProcess.REPO.toString(), "/home", "/root", "/sys/kernel", "/etc/shadow",
        "/var", "/run", forkd.dataDir.toRealPath().toString());
    JsonObject got = answer(s, "read:" + String.join("\n", paths));
    for (String p : paths) {
      assertEquals("denied: No such file or directory", got.getString(p), p + " from inside: " + got.encode());
    }
    JsonObject works = answer(s, "works");
    assertEquals(45, works.getInteger("numpy"), works.encode());
    assertEquals(3, works.getInteger("pil"), works.encode());
    assertEquals(1000, works.getInteger("tmp"), works.encode());
    forkd.await(forkd.client.delete(s.instanceId()));
  }

  @Test
  void theNodesNetworkIsOutOfReach() throws Exception {
    StartedInstance s = cold();
    try (ServerSocket host = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      Thread greeter = new Thread(() -> {
        try (Socket c = host.accept(); OutputStream out = c.getOutputStream()) {
          out.write("hi".getBytes(StandardCharsets.UTF_8));
        } catch (IOException closed) {
          // the test ended without anyone connecting: what it wants
        }
      });
      greeter.setDaemon(true);
      greeter.start();
      String got = forkd.call(s.listener(), "connect:" + host.getLocalPort()).toString();
      assertTrue(got.contains("denied: Connection refused"), "a host port reached from inside: " + got);
    }
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    String listening = forkd.call(s.listener(), "listen:" + port).toString();
    assertTrue(listening.contains("got " + port), "the instance may listen on its own loopback: " + listening);
    int p = port;
    assertThrows(IOException.class, () -> new Socket(InetAddress.getLoopbackAddress(), p).close(),
        "the instance's port is visible from the host");
    forkd.await(forkd.client.delete(s.instanceId()));
  }

  @Test
  void theFilterDeniesEscapes() throws Exception {
    StartedInstance s = cold();
    for (String attack : List.of("userns", "io_uring", "keyring")) {
      String got = forkd.call(s.listener(), attack).toString();
      assertTrue(got.contains(DENIED_EPERM), attack + " from inside: " + got);
    }
    forkd.await(forkd.client.delete(s.instanceId()));
  }

  @Test
  void forkChildrenAreKeptApart() throws Exception {
    StartedInstance seed = forkd.await(forkd.client.start(StartRequest.seed("fn1", "app1", bundle.toString(), 128,
        ForkdProcess.command("hostile.py"), ForkdProcess.env(Map.of()))));
    StartedInstance a = forkd.await(forkd.client.start(StartRequest.fork(seed.instanceId(), "fn1", "app1", 64, Map.of())));
    StartedInstance b = forkd.await(forkd.client.start(StartRequest.fork(seed.instanceId(), "fn1", "app1", 64, Map.of())));
    String siblingDir = "/cleave/children/" + b.instanceId();

    JsonObject memory = forkd.call(a.listener(), "memory");
    assertTrue(memory.size() >= 2, "the seed and the sibling are seen: " + memory.encode());
    memory.forEach(e -> assertTrue(((String) e.getValue()).startsWith("denied: "),
        "/proc/" + e.getKey() + "/mem opened by a sibling: " + memory.encode()));
    String ptrace = forkd.call(a.listener(), "ptrace").toString();
    assertTrue(ptrace.contains(DENIED_EPERM), "ptrace of the seed: " + ptrace);
    String write = forkd.call(a.listener(), "write:" + siblingDir + "/output").toString();
    assertTrue(write.contains("denied: Permission denied"), "the sibling's log: " + write);
    String control = forkd.call(a.listener(), "unix:/cleave/run/ctl.sock").toString();
    assertTrue(control.contains("denied: Permission denied"), "the seed's control socket: " + control);
    String listener = forkd.call(a.listener(), "unix:" + siblingDir + "/lsnr.sock").toString();
    assertTrue(listener.contains("denied: Permission denied"), "the sibling's listener: " + listener);

    assertFalse(forkd.await(forkd.client.logs(b.instanceId(), 0)).toString().contains("written by a sibling"));
    JsonObject works = forkd.call(b.listener(), "works");
    assertEquals(45, works.getInteger("numpy"), works.encode());
    for (StartedInstance i : List.of(a, b, seed)) {
      forkd.await(forkd.client.delete(i.instanceId()));
    }
  }

  @Test
  void theCpuQuotaHoldsBetweenCalls() throws Exception {
    StartedInstance s = cold();
    forkd.call(s.listener(), "burn:2"); // two threads go on spinning after the call answered
    Thread.sleep(300);
    long cpu0 = cpuTicks(s.pid());
    long t0 = System.nanoTime();
    Thread.sleep(2000);
    double cpus = (cpuTicks(s.pid()) - cpu0) / 100.0 / ((System.nanoTime() - t0) / 1e9);
    double quota = 128.0 / MB_PER_CPU;
    System.out.printf("a 128 MB instance spinning two threads used %.2f cpus (quota %.2f)%n", cpus, quota);
    assertTrue(cpus < quota * 1.5, "used " + cpus + " cpus, quota " + quota);
    forkd.await(forkd.client.delete(s.instanceId()));
  }

  @Test
  void uidsAreNotReusedRightAway() throws Exception {
    StartedInstance first = cold();
    long uid = forkd.call(first.listener(), "who").getLong("uid");
    forkd.await(forkd.client.delete(first.instanceId()));
    StartedInstance second = cold();
    assertNotEquals(uid, forkd.call(second.listener(), "who").getLong("uid"));
    forkd.await(forkd.client.delete(second.instanceId()));
  }

  /** utime + stime of the process (all its threads), in clock ticks (100 per second). */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
