package io.cleave.forkd;

import io.cleave.forkd.api.RemoteRef;

import io.cleave.common.error.ApiError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Prepared seeds' snapshots on this node's page server (docs/CONTRACTS.md, op {@code prepare}):
 * taken once a seed started with {@code prepare} is ready, taken again when the page server
 * came back without its handles, revoked before the seed goes.
 */
final class SeedSnapshots implements ContainerStarts.SeedPreparer, AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd");
  /** The page server's socket as a prepared seed sees it (its dir is bound there). */
  private static final String SOCK_INSIDE = "/cleave/pageserver/ps.sock";

  /** Null when this node has no fork primitive ({@link #unavailable} says why) or once closed. */
  private volatile PageServer pageServer;
  private final String unavailable;
  private final long timeoutMs;
  private final Supplier<Collection<Instance>> instances;
  /** What the page server served, per handle (keyed by the handle's key, unique across restarts). */
  private final Tally served;

  SeedSnapshots(String unavailable, long timeoutMs, Supplier<Collection<Instance>> instances, Tally served) {
    this.unavailable = unavailable;
    this.timeoutMs = timeoutMs;
    this.instances = instances;
    this.served = served;
  }

  /** Starts the node's page server (when the node has the primitive). */
  void start(ForkdConfig config, CgroupLayout cgroups) throws IOException {
    if (unavailable == null) {
      pageServer = PageServer.start(config, cgroups, this::prepareAgain);
    }
  }

  /** host:port of the page server, null while it is down or when there is none. */
  String address() {
    PageServer ps = pageServer;
    return ps == null ? null : ps.address();
  }

  /** The page server, or 501 when this node cannot fork remotely at all (no primitive: retrying will not help). */
  PageServer require() {
    PageServer ps = pageServer;
    if (ps == null) {
      throw new ApiError(501, "remote fork is unavailable on this node: " + unavailable);
    }
    return ps;
  }

  @Override
  public Path socketDir() {
    return require().dir();
  }

  /** Has a ready seed snapshot itself through the page server. */
  @Override
  public RemoteRef prepare(Instance.Seed s) {
    String address = require().address();
    if (address == null) {
      throw new ApiError(503, "the page server is down (forkd is restarting it)", 1);
    }
    try {
      SeedControl.Prepared p = s.control.prepare(SOCK_INSIDE, ForkPrimitive.MOUNT_POINT + "/python",
          RemoteChildren.ORDER, timeoutMs);
      RemoteRef ref = new RemoteRef(address, p.handle(), p.key());
      served.open(ref.key());
      return ref;
    } catch (SeedControl.NotForkable e) {
      throw new ApiError(422, e.getMessage());
    } catch (SeedControl.Refused e) {
      throw new ApiError(502, "seed " + s.id + " could not be prepared: " + e.getMessage());
    } catch (IOException e) {
      throw new ApiError(502, "preparing seed " + s.id + " failed: " + e.getMessage());
    }
  }

  /** The page server came back without its handles: prepared seeds snapshot themselves again. */
  private void prepareAgain() {
    for (Instance i : instances.get()) {
      if (i instanceof Instance.Seed s && s.prepare && !s.deleted) {
        RemoteRef lost = s.remote;
        if (lost != null) {
          served.close(lost.key()); // what it served up to the last sample
        }
        s.remote = null;
        try {
          s.remote = prepare(s);
          LOG.info("seed " + s.id + " prepared again: handle " + s.remote.handle());
        } catch (ApiError e) {
          LOG.warning("seed " + s.id + " could not be prepared again: " + e.getMessage());
        }
      }
    }
  }

  /**
   * Before a prepared seed goes, its handle goes: remote children still fetching pages of it are
   * cut off and die with a clear reason instead of living on a snapshot nobody serves.
   */
  void revoke(Instance.Seed s) {
    RemoteRef ref = s.remote;
    PageServer ps = pageServer;
    s.remote = null;
    if (ref == null || ps == null) {
      return;
    }
    served.update(ref.key(), ps.served(ref));
    served.close(ref.key());
    try {
      ps.revoke(ref);
    } catch (IOException e) {
      LOG.warning("revoking handle " + ref.handle() + " of seed " + s.id + ": " + e.getMessage());
    }
  }

  /** Restorers the page server has given {@code ref}'s snapshot to so far (0 when it cannot say). */
  long restores(RemoteRef ref) {
    PageServer ps = pageServer;
    long[] counts = ps == null || ps.address() == null || ref == null ? null : ps.served(ref);
    if (counts == null) {
      return 0;
    }
    served.update(ref.key(), counts);
    return counts[RemoteForkStats.CONNECTIONS];
  }

  /** Samples the page server's counters of every prepared seed's handle. */
  void sampleServed() {
    PageServer ps = pageServer;
    if (ps == null || ps.address() == null) {
      return;
    }
    for (Instance i : instances.get()) {
      RemoteRef ref = i instanceof Instance.Seed s && !s.deleted ? s.remote : null;
      if (ref != null && served.isOpen(ref.key())) {
        served.update(ref.key(), ps.served(ref));
      }
    }
  }

  @Override
  public void close() {
    PageServer ps = pageServer;
    pageServer = null;
    if (ps != null) {
      ps.close();
    }
  }
}
