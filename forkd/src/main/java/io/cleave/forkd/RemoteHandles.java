package io.cleave.forkd;

import io.cleave.forkd.api.RemoteRef;

import io.cleave.common.error.ApiError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What the remote children of one handle share on this node, as a seed's local children share
 * its uid: one uid, and the node's page cache of the handle (pages a child fetched, read by the
 * next instead of the network), a dir owned by that uid, which also holds the handle's working
 * set (the pages the first child touched, recorded by its restorer; later children prefetch
 * them before they run). Both exist while a child of the handle does: the last one's deletion
 * removes the cache and frees the uid.
 */
final class RemoteHandles {
  private final UidRange uids;
  private final Path cacheRoot;
  private final int uidCount;
  private final Map<String, Lease> leases = new HashMap<>();

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
    /** The child whose restorer records the working set, until it is written (null: none). */
    private String recorder;

    private Lease(String name, int uid, Path cacheDir) {
      this.name = name;
      this.uid = uid;
      this.cacheDir = cacheDir;
    }
  }

  /** The handle's lease, made for its first child here; 503 when no uid is free. */
  synchronized Lease acquire(RemoteRef ref) throws IOException {
    String name = ref.pageserver().replace(':', '_') + "_h" + ref.handle();
    Lease lease = leases.get(name);
    if (lease == null) {
      int uid = uids.acquire();
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

  /** Gives a child's share back; the last one removes the cache and frees the uid. */
  synchronized void release(Lease lease) {
    if (--lease.holders == 0) {
      leases.remove(lease.name);
      RunDirs.deleteTree(lease.cacheDir);
      uids.release(lease.uid);
    }
  }
}
