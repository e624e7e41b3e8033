package io.cleave.invoker;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.FnNetwork;
import io.cleave.forkd.api.RemoteRef;
import io.cleave.forkd.api.StartRequest;
import io.cleave.forkd.api.StartedInstance;
import io.cleave.scheduler.RemoteSeed;
import io.cleave.scheduler.SeedRecord;
import io.cleave.scheduler.SeedDirectory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Seed keeping: one seed per function on this node, started beside a cold start when memory is
 * spare, reclaimed once not forked from for {@code seedIdle}, retired with its function's version.
 * A version whose seed refused to fork (threads at import) keeps no seed: its instances start cold,
 * and say why. Touched only on the invoker's loop.
 */
final class Seeds {
  private static final Logger LOG = Logger.getLogger(Seeds.class.getName());
  private static final long SEED_RETRY_AFTER_FAILED_START_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final long FORK_RETRY_AFTER_FAILED_FORK_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final Vertx vertx;
  private final InvokerLoop loop;
  private final InstanceHost host;
  private final FunctionCode code;
  private final NodeMemory memory;
  private final Duration seedIdle;
  /** Schedules a pool again once its seed is ready: calls queued behind cold starts may fork now. */
  private final Consumer<FunctionPool> ready;
  /** Told when a pool's seed is retired: what was forked ahead of it goes too. */
  private final Consumer<FunctionPool> retired;
  /** Who holds which seed: claimed before a seed starts, so a version has one seed where the directory reaches. */
  private final SeedDirectory directory;
  private final String node;
  /** Seeds are prepared for remote children (remote-fork), until forkd says this node cannot. */
  private boolean prepare;
  private boolean closing;

  Seeds(Vertx vertx, InvokerLoop loop, InstanceHost host, FunctionCode code, NodeMemory memory, Duration seedIdle,
      Consumer<FunctionPool> ready, Consumer<FunctionPool> retired, SeedDirectory directory, String node,
      boolean prepare) {
    this.vertx = vertx;
    this.loop = loop;
    this.host = host;
    this.code = code;
    this.memory = memory;
    this.seedIdle = seedIdle;
    this.ready = ready;
    this.retired = retired;
    this.directory = directory;
    this.node = node;
    this.prepare = prepare;
  }

  /**
   * Starts the pool's seed if memory is spare (a seed never pushes out running work: the next cold
   * start tries again) and this node wins the version's claim in the seed directory; a node that
   * loses leaves the seed to the winner.
   */
  void start(FunctionPool pool) {
    int mb = pool.fn.memory();
    if (closing || pool.runtime instanceof FunctionRuntime.Java || !memory.reserve(mb)) {
      return;
    }
    Seed seed = new Seed(pool.version, pool.seedKey(), mb);
    pool.seed = seed;
    // The runtime first: a JVM is never forked, so a Java function claims no seed anywhere.
    pool.launch(code, loop)
        .compose(l -> l.runtime() instanceof FunctionRuntime.Java
            ? Future.<FunctionCode.Launch>failedFuture(new NeverForked())
            : claim(seed).map(v -> l))
        .compose(l -> startSeed(pool, l, mb))
        .onComplete(ar -> {
          if (ar.failed()) {
            if (pool.seed == seed) {
              pool.seed = null;
            }
            seed.state = Seed.State.RETIRED;
            memory.release(seed.memoryMb);
            release(seed);
            if (!(ar.cause() instanceof HeldElsewhere) && !(ar.cause() instanceof NeverForked)) {
              LOG.log(Level.WARNING, "seed of function " + pool.fnId + " did not start: " + Causes.message(ar.cause()));
              pool.seedRetryAfterNanos = System.nanoTime() + SEED_RETRY_AFTER_FAILED_START_NANOS;
            }
            return;
          }
          seed.id = ar.result().instanceId();
          if (pool.seed != seed || closing || !seed.version.equals(pool.version)) {
            seed.state = Seed.State.RETIRED;
            stop(seed);
            return;
          }
          seed.state = Seed.State.READY;
          seed.lastUsedNanos = System.nanoTime();
          seed.remote = remoteSeed(ar.result().remote());
          directory.ready(seed.key, node, seed.remote);
          armReclaim(pool, seed, seedIdle.toMillis());
          ready.accept(pool);
        });
  }

  /** Claims the seed's version in the directory; fails with {@link HeldElsewhere} when another node holds it. */
  private Future<Void> claim(Seed seed) {
    return loop.here(Future.fromCompletionStage(directory.claim(seed.key, node))).compose(holder -> {
      if (holder != null) {
        return Future.failedFuture(new HeldElsewhere(holder.node()));
      }
      seed.claimed = true;
      return Future.succeededFuture();
    });
  }

  /**
   * Under remote-fork the seed is prepared for other nodes' children; a node without the fork
   * primitive (forkd answers 501: remote fork is unavailable) keeps a seed for local forks only.
   */
  private Future<StartedInstance> startSeed(FunctionPool pool, FunctionCode.Launch l, int mb) {
    String bundle = l.bundleDir().toString();
    // A seed's children share its network namespace: the seed gets the function's network.
    FnNetwork network = FnNetwork.of(pool.fn.annotations());
    if (!prepare) {
      return host.start(StartRequest.seed(pool.fnId, pool.fn.appId(), bundle, mb, l.command(), l.env())
          .withNetwork(network));
    }
    return host.start(StartRequest.preparedSeed(pool.fnId, pool.fn.appId(), bundle, mb, l.command(), l.env())
            .withNetwork(network))
        .recover(e -> {
          if (e instanceof ApiError api && api.status() == 501) {
            LOG.warning("seeds on this node serve local forks only: " + api.getMessage());
            prepare = false;
            return host.start(StartRequest.seed(pool.fnId, pool.fn.appId(), bundle, mb, l.command(), l.env())
                .withNetwork(network));
          }
          return Future.failedFuture(e);
        });
  }

  private static RemoteSeed remoteSeed(RemoteRef snapshot) {
    return snapshot == null ? null : new RemoteSeed(snapshot.pageserver(), snapshot.handle(), snapshot.key());
  }

  /**
   * Publishes a prepared seed's snapshot again when the host took a new one: a restarted page
   * server loses its handles and forkd prepares the seeds again, under new handles other nodes
   * could not restore from while the directory named the old ones. A seed other nodes restored
   * children from since the last look counts as used, as a local fork does: the cluster's one
   * seed is not reclaimed while only other nodes fork from it.
   */
  void republishSnapshots(Collection<FunctionPool> pools) {
    for (FunctionPool pool : pools) {
      Seed seed = pool.seed;
      if (seed == null || seed.state != Seed.State.READY || seed.remote == null) {
        continue;
      }
      loop.here(host.status(seed.id)).onSuccess(s -> {
        RemoteSeed now = remoteSeed(s.remote());
        if (pool.seed == seed && seed.state == Seed.State.READY && now != null && !now.equals(seed.remote)) {
          LOG.info("seed " + seed.id + " of " + pool.fnId + " was prepared again: handle " + now.handle());
          seed.remote = now;
          seed.restores = 0; // the new handle's count starts anew
          directory.ready(seed.key, node, now);
        }
        if (now != null && now.equals(seed.remote) && s.restores() > seed.restores) {
          seed.restores = s.restores();
          seed.lastUsedNanos = System.nanoTime();
        }
      });
    }
  }

  /** The directory says another node holds the version's seed. */
  private static final class HeldElsewhere extends Exception {
    HeldElsewhere(String node) {
      super("the seed is held by node " + node, null, false, false);
    }
  }

  /** The function runs on a JVM, which hosts instances itself and is never forked: it keeps no seed. */
  private static final class NeverForked extends Exception {
    NeverForked() {
      super("a JVM is never forked", null, false, false);
    }
  }

  /** A child is being forked from the seed: it counts as used. */
  void forking(Seed seed) {
    seed.lastUsedNanos = System.nanoTime();
  }

  /**
   * A fork failed; its call falls back to a cold start. Forks pause for a while; a seed that
   * refused (422) marks its version unforkable, and one forkd no longer knows or that has exited
   * (404, 409) is replaced.
   */
  void forkFailed(FunctionPool pool, Seed seed, Throwable cause) {
    LOG.log(Level.WARNING, "fork of seed " + seed.id + " failed, starting cold: " + Causes.message(cause));
    pool.forkRetryAfterNanos = System.nanoTime() + FORK_RETRY_AFTER_FAILED_FORK_NANOS;
    if (pool.seed != seed || !(cause instanceof ApiError e)) {
      return;
    }
    if (e.status() == 422) {
      pool.unforkable = e.getMessage();
      retire(pool);
    } else if (e.status() == 404 || e.status() == 409) {
      retire(pool);
    }
  }

  /**
   * A child of another node's seed could not be restored (page server gone, handle revoked, the
   * node's vDSO or CPU differs): its call stays queued and starts another way; remote forks of this
   * function pause for a while.
   */
  void remoteForkFailed(FunctionPool pool, SeedRecord seed, Throwable cause) {
    LOG.log(Level.WARNING, "remote fork of " + pool.fnId + " from node " + seed.node() + " failed: "
        + Causes.message(cause));
    pool.forkRetryAfterNanos = System.nanoTime() + FORK_RETRY_AFTER_FAILED_FORK_NANOS;
  }

  /**
   * A remote child died because its seed's page server went (its node lost, or the seed retired):
   * remote forks of this function pause, so calls start here instead until the directory shows
   * the seed gone or replaced.
   */
  void remoteSeedLost(FunctionPool pool, String seedNode, String reason) {
    LOG.warning("a remote child of " + pool.fnId + " from node " + seedNode + " died: " + reason);
    pool.forkRetryAfterNanos = System.nanoTime() + FORK_RETRY_AFTER_FAILED_FORK_NANOS;
  }

  /** Stops the pool's seed now, or, if it is still starting, as soon as it is up. */
  void retire(FunctionPool pool) {
    Seed seed = pool.seed;
    if (seed == null) {
      return;
    }
    pool.seed = null;
    vertx.cancelTimer(seed.reclaimTimer);
    if (seed.state == Seed.State.READY) {
      seed.state = Seed.State.RETIRED;
      stop(seed);
    }
    retired.accept(pool);
  }

  /** No more seeds start; stops every seed, completing when the host confirmed. */
  List<Future<Void>> close(Collection<FunctionPool> pools) {
    closing = true;
    List<Future<Void>> stops = new ArrayList<>();
    for (FunctionPool pool : pools) {
      if (pool.seed != null && pool.seed.id != null) {
        stops.add(host.delete(pool.seed.id));
      }
    }
    return stops;
  }

  private void stop(Seed seed) {
    memory.release(seed.memoryMb);
    release(seed);
    String id = seed.id;
    host.delete(id).onFailure(e -> LOG.log(Level.WARNING, "stopping seed " + id + " failed: " + Causes.message(e)));
  }

  /** Gives the seed's claim back, so another start (here or on another node) may make the next one. */
  private void release(Seed seed) {
    if (seed.claimed) {
      seed.claimed = false;
      directory.release(seed.key, node);
    }
  }

  private void armReclaim(FunctionPool pool, Seed seed, long delayMs) {
    seed.reclaimTimer = vertx.setTimer(Math.max(1, delayMs), t -> {
      if (pool.seed != seed || seed.state != Seed.State.READY) {
        return;
      }
      long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - seed.lastUsedNanos);
      long left = seedIdle.toMillis() - idleMs;
      if (left > 0) {
        armReclaim(pool, seed, left);
      } else {
        retire(pool);
      }
    });
  }
}
