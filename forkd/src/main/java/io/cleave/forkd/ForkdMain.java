package io.cleave.forkd;

import io.cleave.forkd.api.OrderWire;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The fork daemon: {@code ForkdMain --data-dir D [--socket P]}. Runs as root (it creates
 * namespaces, cgroups and switches uids); serves its order channel and its HTTP API on unix
 * sockets, the HTTP socket's appearance meaning ready. SIGTERM kills every instance it started and removes its cgroups.
 */
public final class ForkdMain {
  private ForkdMain() {}

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
    }
    Logger log = Logger.getLogger("forkd");
    Path dataDir = null;
    Path socket = null;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--data-dir" -> dataDir = Path.of(require(value, "--data-dir"));
        case "--socket" -> socket = Path.of(require(value, "--socket"));
        default -> usage("unknown argument " + args[i]);
      }
      i++;
    }
    if (dataDir == null) {
      usage("--data-dir is required");
    }
    Forkd forkd;
    Vertx vertx;
    HttpServer server;
    OrderServer orders;
    ForkdConfig config;
    try {
      config = ForkdConfig.of(dataDir, socket, System.getenv());
      forkd = Forkd.open(config);
      vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
      if (!vertx.isNativeTransportEnabled()) {
        throw new IllegalStateException("Vert.x native transport unavailable (needed for the unix socket): "
            + vertx.unavailableNativeTransportCause());
      }
      // Before the HTTP socket, whose appearance means ready: the order channel is up by then.
      orders = OrderServer.listen(forkd, OrderWire.socketNextTo(config.socket()));
      server = ForkdServer.listen(vertx, forkd, config.socket(), config.logLimitBytes())
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      if (LibC.INSTANCE.chmod(config.socket().toString(), 0600) != 0) {
        throw new IllegalStateException(LibC.describe("chmod 600 " + config.socket()));
      }
    } catch (Exception e) {
      System.err.println("forkd: cannot start: " + (e.getMessage() == null ? e : e.getMessage()));
      System.exit(1);
      return;
    }
    Vertx v = vertx;
    HttpServer s = server;
    OrderServer o = orders;
    Forkd f = forkd;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // java.util.logging shuts down in its own hook, concurrently: write to stderr directly.
      System.err.println("forkd stopping: killing instances, removing cgroups");
      try {
        s.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("forkd: closing the RPC server: " + e);
      }
      o.close();
      f.close();
      v.close();
      System.err.println("forkd stopped");
    }, "forkd-shutdown"));
    log.info("forkd ready on " + config.socket());
  }

  private static String require(String value, String flag) {
    if (value == null) {
      usage(flag + " needs a value");
    }
    return value;
  }

  private static void usage(String problem) {
    System.err.println("forkd: " + problem + "\nusage: ForkdMain --data-dir DIR [--socket PATH]");
    System.exit(2);
  }
}
