package io.cleave.bench;

import io.cleave.bench.StartupBenchFigures.Metric;
import io.vertx.core.json.JsonObject;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The seed's own share of a fork, without forkd: fork orders sent straight to the seed's control
 * socket (docs/CONTRACTS.md, "forkd → seed control protocol"), timed to the seed's answer (its
 * {@code os.fork}) and to the child's listener socket appearing (the child's re-initialisation and
 * bind). Set against forkd's start_ms, the rest is forkd's (cgroup, bookkeeping, readiness wait)
 * and, against the RPC's round trip, the RPC's. Each child is killed once its listener is there.
 */
final class StartupBenchForkPath {
  private static final long READY_TIMEOUT_NANOS = 30_000_000_000L;

  private StartupBenchForkPath() {}

  /**
   * Where a fork's time goes, p50 of each step in ms, each measured on its own (so the shares are
   * differences of medians, a guide rather than an exact split).
   */
  static JsonObject summary(StartupBenchFigures f) {
    double order = f.stats(Metric.SEED_ORDER).p50();
    double ready = f.stats(Metric.SEED_READY).p50();
    double forkd = f.stats(Metric.FORKD_FORK).p50();
    double rpc = f.stats(Metric.FORKD_FORK_RPC).p50();
    double init = f.stats(Metric.INIT_FORK).p50();
    JsonObject o = new JsonObject()
        .put("seed_fork_ms", StartupBenchReport.round(order))
        .put("child_ready_after_answer_ms", StartupBenchReport.round(ready - order))
        .put("seed_order_to_listener_ms", StartupBenchReport.round(ready))
        .put("forkd_start_ms", StartupBenchReport.round(forkd))
        .put("forkd_share_ms", StartupBenchReport.round(forkd - ready))
        .put("rpc_round_trip_ms", StartupBenchReport.round(rpc))
        .put("rpc_share_ms", StartupBenchReport.round(rpc - forkd))
        .put("invoker_init_ms", StartupBenchReport.round(init))
        .put("invoker_share_ms", StartupBenchReport.round(init - rpc))
        .put("first_call_on_child_ms", StartupBenchReport.round(f.stats(Metric.FIRST_CALL_FORK).p50()))
        .put("warm_direct_call_ms", StartupBenchReport.round(f.stats(Metric.DIRECT_WARM).p50()))
        .put("fork_call_end_to_end_ms", StartupBenchReport.round(f.stats(Metric.INVOKE_FORK).p50()))
        .put("warm_call_end_to_end_ms", StartupBenchReport.round(f.stats(Metric.INVOKE_WARM).p50()));
    List<StartupBenchFigures.Rate> rates = f.rates();
    if (!rates.isEmpty()) {
      JsonObject cpu = new JsonObject();
      rates.get(0).cpuMsPerFork().forEach((k, v) -> cpu.put(k, StartupBenchReport.round(v)));
      o.put("cpu_ms_per_fork_one_at_a_time", cpu);
    }
    return o;
  }

  static void measure(Path dataDir, String seedId, long seedPid, int orders, StartupBenchFigures into) {
    Path control = dataDir.resolve("run").resolve("instances").resolve(seedId).resolve("ctl.sock");
    Path children = dataDir.resolve("run").resolve("forks").resolve(seedId);
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(control));
      OutputStream out = Channels.newOutputStream(ch);
      BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
      for (int i = 0; i < orders; i++) {
        order(children, seedPid, out, in, into);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot talk to the seed's control socket " + control + ": " + e.getMessage(), e);
    }
  }

  private static void order(Path children, long seedPid, OutputStream out, BufferedReader in, StartupBenchFigures into)
      throws IOException {
    String id = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    Path dir = Files.createDirectory(children.resolve(id));
    // The seed runs as the container's unprivileged uid: it must be able to create its socket here.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx-wx-wx"));
    Path listener = dir.resolve("lsnr.sock");
    String line = new JsonObject().put("op", "fork").put("child_id", id)
        .put("listener", "unix:/cleave/children/" + id + "/lsnr.sock").put("env", new JsonObject(Map.of()))
        .encode() + "\n";
    long hostPid = -1;
    try {
      long t0 = System.nanoTime();
      out.write(line.getBytes(StandardCharsets.UTF_8));
      out.flush();
      String reply = in.readLine();
      long t1 = System.nanoTime();
      JsonObject answer = reply == null ? null : new JsonObject(reply);
      if (answer == null || !answer.getBoolean("ok", false)) {
        throw new IllegalStateException("the seed refused a fork order: " + reply);
      }
      while (!Files.exists(listener)) {
        if (System.nanoTime() - t0 > READY_TIMEOUT_NANOS) {
          throw new IllegalStateException("a child forked straight from the seed did not bind " + listener + " within 30 s");
        }
        LockSupport.parkNanos(20_000);
      }
      long t2 = System.nanoTime();
      into.add(Metric.SEED_ORDER, (t1 - t0) / 1e6);
      into.add(Metric.SEED_READY, (t2 - t0) / 1e6);
      hostPid = StartupBenchProcs.childWithNsPid(seedPid, answer.getLong("pid"));
    } finally {
      if (hostPid > 0) {
        ProcessHandle.of(hostPid).ifPresent(h -> {
          h.destroyForcibly();
          try {
            h.onExit().get(10, TimeUnit.SECONDS);
          } catch (Exception e) {
            // the seed reaps it; a slow exit only keeps its pid a little longer
          }
        });
      }
      StartupBench.removeTree(dir);
    }
  }
}
