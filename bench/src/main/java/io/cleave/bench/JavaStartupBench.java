package io.cleave.bench;

import io.cleave.bench.replay.PolicyServer;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.TimedCalls;
import io.cleave.forkd.api.ForkdClient;
import io.cleave.forkd.api.InstanceStatus;
import io.cleave.server.ExecutionOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code cleave bench startup --runtime java}: Fn's Java hello on multi-instance JVM seeds, through
 * the gateway. A cold-only server times cold JVM starts without and with the bundle's AppCDS
 * archive; a fork-policy server times warm calls and new instances in a running JVM seed (a call
 * that finds the seed's instance busy), and reads the seed's memory (PSS) with one instance and
 * with a group of them. Blocks the calling thread, which must not be a Vert.x event loop.
 */
final class JavaStartupBench {
  private static final String COLD_ONLY = "cold-only";
  private static final String FORK = "fork";
  private static final int MEMORY_MB = 128;
  private static final long CALL_WAIT_MS = 120_000;
  /** Instances of a round idle out this fast, so each round starts from one instance (Fn's minimum). */
  private static final int ROUND_IDLE_S = 1;
  private static final int KEPT_IDLE_S = 600;
  /** How long the call that keeps the seed's instance busy sleeps while the measured call comes. */
  private static final int BUSY_MS = 300;

  /**
   * @param coldCalls cold calls per variant (without and with the archive)
   * @param warmCalls counted warm calls
   * @param warmup uncounted calls first
   * @param instanceRounds rounds, each timing one new instance in the running seed
   * @param memoryGroup instances alive in one seed when its memory is read (at most the server's --jvm-instances)
   * @param ahead the fork server's {@code --fork-ahead}: instances each JVM seed keeps started ahead of calls
   */
  record Settings(int coldCalls, int warmCalls, int warmup, int instanceRounds, int memoryGroup, int ahead) {
    static Settings full() {
      return new Settings(10, 300, 100, 20, 8, 2);
    }

    static Settings quick() {
      return new Settings(4, 50, 20, 5, 4, 2);
    }
  }

  private final Vertx vertx;
  private final Settings settings;
  private final Path out;
  private final List<String> serverArgs;
  private final StartupBenchProgress progress;

  JavaStartupBench(Vertx vertx, Settings settings, Path out, List<String> serverArgs, StartupBenchProgress progress) {
    this.vertx = vertx;
    this.settings = settings;
    this.out = out;
    this.serverArgs = List.copyOf(serverArgs);
    this.progress = progress;
  }

  JavaStartupReport run() throws IOException {
    Files.createDirectories(out);
    double loadBefore = MachineCosts.loadAverage();
    long t0 = System.nanoTime();
    Path work = Files.createTempDirectory("cleave-sb-java-");
    JavaStartupReport.Figures figures = new JavaStartupReport.Figures();
    try {
      progress.phase("compiling Fn's Java hello and training its AppCDS archive");
      JavaHelloBundle bundle = JavaHelloBundle.build(ExecutionOptions.cleaveHome()
          .resolve("sdk-java/runtime/target/cleave-fdk-java.jar"), work.resolve("build"), MEMORY_MB);
      figures.archiveMb = bundle.archiveMb();
      for (String policy : List.of(COLD_ONLY, FORK)) {
        // A short path of its own: instance socket paths under it must fit a unix socket's 107 bytes.
        Path data = Files.createTempDirectory("cleave-sbj-");
        List<String> args = new ArrayList<>(List.of("--cluster-name", "cleave-bench-java-" + policy));
        if (policy.equals(FORK)) {
          args.addAll(List.of("--fork-ahead", Integer.toString(settings.ahead())));
        }
        args.addAll(serverArgs);
        progress.phase("[%s] starting a server", policy);
        try (PolicyServer server = PolicyServer.start(policy, data, out.resolve("servers").resolve("java-" + policy + ".log"),
                args, PolicyServer.defaultWait());
            TimedCalls calls = new TimedCalls(vertx, server.url(), Math.max(4, settings.memoryGroup()), server.adminKey());
            ForkdClient forkd = new ForkdClient(vertx, data.resolve("run").resolve("forkd.sock"))) {
          PlatformClient api = new PlatformClient(server.url().toString(), server.adminKey());
          String appId = JsonText.text(api.createApp(JsonText.object().put("name", "bench-java")), "id");
          if (policy.equals(COLD_ONLY)) {
            coldPhase(api, appId, calls, bundle, figures);
          } else {
            forkPhase(api, appId, calls, forkd, data, bundle, figures);
          }
        } finally {
          StartupBench.removeTree(data);
        }
      }
    } finally {
      StartupBench.removeTree(work);
    }
    JavaStartupReport report = new JavaStartupReport(figures, settings, (System.nanoTime() - t0) / 1e9, loadBefore,
        MachineCosts.loadAverage());
    report.write(out);
    progress.phase("wrote %s", out);
    return report;
  }

  /** Every call a cold JVM: without the archive and with it, alternating, so drifts of a busy machine hit both. */
  private void coldPhase(PlatformClient api, String appId, TimedCalls calls, JavaHelloBundle bundle,
      JavaStartupReport.Figures figures) throws IOException {
    String plain = api.deploy(appId, "hello-java", MEMORY_MB, 30, 30, Map.of(), bundle.plain());
    String cds = api.deploy(appId, "hello-java-cds", MEMORY_MB, 30, 30, Map.of(), bundle.withArchive());
    call(calls, plain, "world"); // the first call on a node also unpacks the bundle: not a start cost
    call(calls, cds, "world");
    for (int i = 0; i < settings.coldCalls(); i++) {
      figures.add(figures.cold, "cold", call(calls, plain, "world"));
      figures.add(figures.coldAppCds, "cold", call(calls, cds, "world"));
      progress.count("cold JVM calls (without and with AppCDS)", i + 1, settings.coldCalls());
    }
  }

  private void forkPhase(PlatformClient api, String appId, TimedCalls calls, ForkdClient forkd, Path data,
      JavaHelloBundle bundle, JavaStartupReport.Figures figures) throws IOException {
    String fn = api.deploy(appId, "hello-java", MEMORY_MB, 30, ROUND_IDLE_S, Map.of(), bundle.withArchive());
    call(calls, fn, "world");
    for (int i = 0; i < settings.warmup(); i++) {
      call(calls, fn, "world");
    }
    for (int i = 0; i < settings.warmCalls(); i++) {
      figures.add(figures.warm, "warm", call(calls, fn, "world"));
      progress.count("warm calls", i + 1, settings.warmCalls());
    }
    for (int r = 0; r < settings.instanceRounds(); r++) {
      // The previous round's extra instance idles out while calls keep the other one in use; then
      // the seed holds one instance serving calls and the ones started ahead.
      long quiet = System.nanoTime() + (ROUND_IDLE_S * 1000L + 500) * 1_000_000;
      while (System.nanoTime() < quiet) {
        call(calls, fn, "world");
        StartupBench.sleep(200);
      }
      awaitInstances(forkd, calls, fn, 1 + settings.ahead());
      // The seed's one instance is busy: the measured call gets a new instance in the same JVM.
      Future<TimedCalls.Answer> busy = calls.invoke(fn, Buffer.buffer("sleep " + BUSY_MS), CALL_WAIT_MS);
      StartupBench.sleep(BUSY_MS / 6);
      figures.add(figures.instance, "instance", call(calls, fn, "world"));
      checked(Await.result(busy, CALL_WAIT_MS, "the busy call"));
      progress.count("new instances in the running JVM seed", r + 1, settings.instanceRounds());
    }
    memory(api, appId, calls, forkd, data, bundle, figures);
  }

  /**
   * The seed's PSS with its first instances (one serving calls and those started ahead), then with
   * {@code memoryGroup} instances made by as many calls at once: the difference per added
   * instance, and what the seed would take with one instance (a separate JVM).
   */
  private void memory(PlatformClient api, String appId, TimedCalls calls, ForkdClient forkd, Path data,
      JavaHelloBundle bundle, JavaStartupReport.Figures figures) throws IOException {
    awaitInstances(forkd, null, null, 0);
    String fn = api.deploy(appId, "hello-java-memory", MEMORY_MB, 30, KEPT_IDLE_S, Map.of(), bundle.withArchive());
    for (int i = 0; i < settings.warmup(); i++) {
      call(calls, fn, "world");
    }
    awaitInstances(forkd, calls, fn, 1 + settings.ahead());
    List<String> instances = instanceIds(data);
    InstanceStatus one = Await.result(forkd.status(instances.get(0)), 30_000, "the seed's status");
    List<Future<TimedCalls.Answer>> group = new ArrayList<>();
    for (int i = 0; i < settings.memoryGroup(); i++) {
      group.add(calls.invoke(fn, Buffer.buffer("sleep 1500"), CALL_WAIT_MS));
    }
    Await.result(Future.all(group), CALL_WAIT_MS, "the memory group's calls");
    group.forEach(a -> checked(a.result()));
    // Each instance serves once more, as under traffic, before the seed is read again.
    for (int i = 0; i < settings.warmup(); i++) {
      call(calls, fn, "world");
    }
    int n = instanceIds(data).size();
    InstanceStatus many = Await.result(forkd.status(instances.get(0)), 30_000, "the seed's status");
    figures.memory(one.pssBytes(), many.pssBytes(), one.memoryBytes(), many.memoryBytes(), instances.size(), n);
  }

  /** The instances of JVM seeds forkd runs: their listeners, {@code j-<seed>/v-<id>.sock}. */
  private static List<String> instanceIds(Path data) throws IOException {
    List<String> ids = new ArrayList<>();
    try (Stream<Path> seeds = Files.list(data.resolve("run").resolve("instances"))) {
      for (Path seed : seeds.filter(p -> p.getFileName().toString().startsWith("j-")).toList()) {
        try (Stream<Path> socks = Files.list(seed)) {
          socks.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("v-") && n.endsWith(".sock"))
              .forEach(n -> ids.add(n.substring(0, n.length() - ".sock".length())));
        }
      }
    }
    return ids;
  }

  /** Waits (calling {@code fn} now and then, so one instance stays) until forkd runs {@code count} instances. */
  private static void awaitInstances(ForkdClient forkd, TimedCalls calls, String fn, int count) {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (Await.result(forkd.health(), 30_000, "forkd's health").instances() != count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("waited 60 s for forkd to run " + count + " instance(s)");
      }
      if (calls != null) {
        call(calls, fn, "world");
      }
      StartupBench.sleep(200);
    }
  }

  private static TimedCalls.Answer call(TimedCalls calls, String fn, String body) {
    return checked(Await.result(calls.invoke(fn, Buffer.buffer(body), CALL_WAIT_MS), CALL_WAIT_MS, "a Java hello call"));
  }

  private static TimedCalls.Answer checked(TimedCalls.Answer a) {
    if (!a.ok()) {
      String body = a.body().toString();
      throw new IllegalStateException("a call to the Java hello answered " + a.status() + ": "
          + (body.length() > 300 ? body.substring(0, 300) : body));
    }
    return a;
  }
}
