package io.cleave.bench;

import io.cleave.bench.replay.PolicyServer;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.TimedCalls;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The cold-start baseline of the cluster benchmark: a standalone {@code cleave server --policy
 * cold-only} on this machine (outside the cluster's namespaces), where every call gets a fresh
 * instance and no seed exists, so its calls are cold starts and nothing else. A function
 * version's first call in the cluster is cold too, but there the seed starts beside it on the
 * same two cores, which would slow it down and flatter the ratios.
 */
public final class ClusterBenchCold implements AutoCloseable {
  static final String POLICY = "cold-only";
  private final PolicyServer server;
  private final Path data;

  private ClusterBenchCold(PolicyServer server, Path data) {
    this.server = server;
    this.data = data;
  }

  /** Starts the server; its log goes to {@code <out>/servers/cold-only.log}. */
  public static ClusterBenchCold start(Path out, List<String> serverArgs) throws IOException {
    Path data = Files.createTempDirectory("cleave-cb-cold-");
    try {
      List<String> args = new java.util.ArrayList<>(List.of("--cluster-name", "cleave-bench-cluster-cold"));
      args.addAll(serverArgs);
      PolicyServer p = PolicyServer.start(POLICY, data, out.resolve("servers").resolve(POLICY + ".log"), args,
          PolicyServer.defaultWait());
      return new ClusterBenchCold(p, data);
    } catch (IOException | RuntimeException e) {
      StartupBench.removeTree(data);
      throw e;
    }
  }

  /** Deploys both functions, then per function one uncounted call (it unpacks the bundle) and the counted cold calls. */
  public void measure(Vertx vertx, ClusterBenchSettings settings, ClusterBenchCalls into, long originNanos,
      StartupBenchProgress progress) throws IOException {
    PlatformClient api = new PlatformClient(server.url().toString(), server.adminKey());
    String appId = JsonText.text(api.createApp(JsonText.object().put("name", "bench-cluster-cold")), "id");
    try (TimedCalls calls = new TimedCalls(vertx, server.url(), 2, server.adminKey())) {
      for (StartupBenchFunction f : StartupBenchFunction.values()) {
        String fnId = api.deploy(appId, f.label(), f.memoryMb(), 30, 1, f.config(), f.bundle(settings.imageDir()));
        ClusterBench.send(calls, f, fnId, 1, ClusterBenchCalls.Kind.WARMUP, 0, POLICY, into, originNanos);
        for (int i = 0; i < settings.coldCalls(); i++) {
          ClusterBench.send(calls, f, fnId, 1, ClusterBenchCalls.Kind.COLD, i + 1, POLICY, into, originNanos);
          progress.count(f.label() + " cold calls", i + 1, settings.coldCalls());
        }
      }
    }
  }

  @Override
  public void close() {
    server.close();
    StartupBench.removeTree(data);
  }
}
