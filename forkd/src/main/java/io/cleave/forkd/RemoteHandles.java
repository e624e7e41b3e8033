package io.cleave.forkd;

import io.cleave.forkd.api.RemoteRef;

import io.cleave.common.error.ApiError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the remote children of one handle share on this node, as a seed's local children share
 * its uid: one uid, and the node's page cache of the handle (pages a child fetched, read by the
 * next instead of the network), a dir owned by that uid, which also holds the handle's working
 * set (the pages the first child touched, recorded by its restorer; later children prefetch
 * them before they run) and the restorer's memo of the seed's file identities. They outlive the
 * handle's last child here by {@link #KEEP_NANOS}: a function's children come and go with its
 * calls (they idle out), and the next one restored from a kept cache reads its pages from this
 * node instead of faulting each over the network. A lease whose handle proved dead (a start
 * refused, a child whose page server went) is removed with its last child; the cache files are
 * named by the handle's nonce too, so a page of another snapshot is never read from them.
 */
final class RemoteHandles implements AutoCloseable {
  /**
   * How long a lease stays once its last child is gone: as long as the seed's node keeps an
   * unused seed (the invoker's default --seed-idle), after which its handle is revoked anyway.
   */
  static final long KEEP_NANOS = TimeUnit.MINUTES.toNanos(10);

  private final UidRange uids;
  private final Path cacheRoot;
  private final int uidCount;
  private final Map<String, Lease> leases = new HashMap<>();
  private final ScheduledExecutorService expiry = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "forkd-pagecache-expiry");
    t.setDaemon(true);
    return t;
  });

  RemoteHandles(UidRange uids, int uidCount, Path cacheRoot) {
    this.uids = uids;
    this.uidCount = uidCount;
    this.cacheRoot = cacheRoot;
  }

  /** The working set's file name in a handle's cache dir. */
  static final String WORKING_SET = "working-set";

  /** One handle's share: held by each of its remote children. */
  static final class Lease {
    final String name;
    final int uid;
    final Path cacheDir;
    private int holders;
    /** When the last child went (System.nanoTime); meaningful while no child holds it. */
    private long idleSince;
    /** The handle proved dead here: the lease goes with its last child instead of being kept. */
    private boolean spoiled;
    /** The child whose restorer records the working set, until it is written (null: none). */
    private String recorder;

    private Lease(String name, int uid, Path cacheDir) {
      this.name = name;
      this.uid = uid;
      this.cacheDir = cacheDir;
    }
  }

  /** The handle's lease, made for its first child here or kept since its last; 503 when no uid is free. */
  synchronized Lease acquire(RemoteRef ref) throws IOException {
    String name = ref.pageserver().replace(':', '_') + "_h" + ref.handle();
    Lease lease = leases.get(name);
    if (lease == null) {
      int uid = uids.acquire();
      if (uid < 0 && dropUnused(0) > 0) {
        uid = uids.acquire();
      }
      if (uid < 0) {
        throw new ApiError(503, "no free uid for another container (CLEAVE_FORKD_UIDS=" + uidCount + ")", 1);
      }
      Path dir = cacheRoot.resolve(name);
      try {
        RunDirs.deleteTree(dir);
        Files.createDirectories(dir);
        RunDirs.chmod(dir, 0700);
        Files.setAttribute(dir, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        RunDirs.deleteTree(dir);
        uids.release(uid);
        throw new IOException("cannot make the page cache dir " + dir + ": " + e.getMessage(), e);
      }
      lease = new Lease(name, uid, dir);
      leases.put(name, lease);
    }
    lease.holders++;
    return lease;
  }

  /** Whether the handle's working set is recorded here (its children prefetch it). */
  synchronized boolean hasWorkingSet(Lease lease) {
    try {
      return Files.size(lease.cacheDir.resolve(WORKING_SET)) > 8;
    } catch (IOException notYet) {
      return false;
    }
  }

  /** How a new child of the lease uses the working set: prefetch it, record it, or neither. */
  enum WorkingSet { PREFETCH, RECORD, NONE }

  /**
   * The working set's use by {@code child}: prefetch once one is written; else the first child
   * records it (one recorder at a time; a recorder that ended without writing it hands over).
   */
  synchronized WorkingSet workingSet(Lease lease, String child) {
    try {
      if (Files.size(lease.cacheDir.resolve(WORKING_SET)) > 8) {
        lease.recorder = null;
        return WorkingSet.PREFETCH;
      }
    } catch (IOException notYet) {
      // not written yet
    }
    if (lease.recorder == null) {
      lease.recorder = child;
      return WorkingSet.RECORD;
    }
    return WorkingSet.NONE;
  }

  /** The child is gone: if it was recording, the next child may. */
  synchronized void ended(Lease lease, String child) {
    if (child.equals(lease.recorder)) {
      lease.recorder = null;
    }
  }

  /** The handle proved dead here (a start failed, a child lost its page server): keep nothing of it. */
  synchronized void spoil(Lease lease) {
    lease.spoiled = true;
  }

  /**
   * Gives a child's share back; after the last one the lease is kept for {@link #KEEP_NANOS}
   * (removed at once when spoiled).
   */
  synchronized void release(Lease lease) {
    if (--lease.holders > 0) {
      return;
    }
    if (lease.spoiled) {
      remove(lease);
      return;
    }
    lease.idleSince = System.nanoTime();
    try {
      expiry.schedule(() -> dropUnused(KEEP_NANOS), KEEP_NANOS, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closed) {
      remove(lease);
    }
  }

  /** Removes the leases no child has held for {@code idleNanos}; answers how many. */
  private synchronized int dropUnused(long idleNanos) {
    long now = System.nanoTime();
    List<Lease> unused = leases.values().stream()
        .filter(l -> l.holders == 0 && now - l.idleSince >= idleNanos).toList();
    unused.forEach(this::remove);
    return unused.size();
  }

  private void remove(Lease lease) {
    leases.remove(lease.name);
    RunDirs.deleteTree(lease.cacheDir);
    uids.release(lease.uid);
  }

  /** Stops expiring leases; forkd's leftovers cleanup removes the kept caches. */
  @Override
  public void close() {
    expiry.shutdownNow();
  }
}
