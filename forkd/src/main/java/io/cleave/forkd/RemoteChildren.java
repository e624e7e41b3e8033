package io.cleave.forkd;

import io.cleave.forkd.api.RemoteRef;
import io.cleave.common.json.WireJson;

import io.cleave.common.error.ApiError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Remote children (docs/CONTRACTS.md, {@code mode: remote-fork}): a lean container like any
 * instance's, running {@code cleave-restore} from forkd's copy of the fork primitive as the
 * instance. The restorer resumes the seed's snapshot as its child, which finds its order in
 * its run dir ({@link #ORDER}) and binds its listener, as a fork child does; the restorer stays as
 * its fault handler, fetching pages from the seed's page server through this node's page cache.
 * The first child of a handle on this node records its working set; later ones prefetch it
 * before they run, in batches, instead of faulting its pages in one round trip at a time.
 */
final class RemoteChildren {
  /** Where a resumed child reads its order, as every container sees it (the prepare op names it). */
  static final String ORDER = ContainerStarts.RUN + "/order.json";
  /** Where the container helper passes /dev/userfaultfd (forkd/native/src/order.h). */
  private static final int UFFD_DEV_FD = 100;
  /** Where it passes the connection to the page server it made from the node's network (order.h). */
  private static final int SERVER_FD = 101;
  /** The restorer's exit status when the page server went away while the child still needed pages. */
  static final int EXIT_LOST = 70;
  /** The handle's page cache dir as the restorer sees it (ContainerStarts binds the lease's dir there). */
  private static final String CACHE = "/cleave/pagecache";
  /** The restorer's counters, in the child's run dir (kmod: cleave-restore --stats). */
  static final String STATS = "restore-stats.json";

  /** Remote children's slots kept ready: a burst's worth, as {@link Forks} keeps fork slots. */
  private static final int REMOTE_SLOTS = 8;

  private final ForkdConfig config;
  private final ContainerStarts containers;
  private final ChildSlots slotMaker;
  private final MadeAhead<ChildSlots.Slot> slots;
  private final RemoteHandles handles;
  /** What each child fetched, by its restorer's stats file. */
  private final Tally fetched;

  /** {@code withSlots}: this node restores remote children (the fork primitive is there), so slots are made ahead. */
  RemoteChildren(ForkdConfig config, CgroupLayout cgroups, ContainerStarts containers, RemoteHandles handles,
      Tally fetched, boolean withSlots) {
    this.config = config;
    this.slotMaker = ChildSlots.forRemoteChildren(cgroups, config.remoteSlotsDir(), config.pidsMax());
    this.slots = new MadeAhead<>("remote slot", slotMaker::make, s -> true, slotMaker::discard,
        withSlots ? REMOTE_SLOTS : 0);
    this.containers = containers;
    this.handles = handles;
    this.fetched = fetched;
  }

  /** Resumes the snapshot {@code ref} here; answers once the child is ready. A failed start leaves nothing behind. */
  Instance.Remote start(RemoteRef ref, StartSpec spec, Path bundle, long t0) {
    ChildSlots.Slot slot;
    try {
      slot = slots.take();
    } catch (IOException e) {
      throw new ApiError(500, "cannot prepare a remote child: " + e.getMessage());
    }
    String id = slot.id();
    Path runDir = config.instancesDir().resolve(id);
    RemoteHandles.Lease lease;
    try {
      lease = handles.acquire(ref);
    } catch (IOException | RuntimeException e) {
      slotMaker.discard(slot);
      throw e instanceof ApiError a ? a : new ApiError(500, "cannot start the remote child: " + e.getMessage());
    }
    boolean started = false;
    boolean cgroupGiven = false;
    try {
      Files.move(slot.stagedDir(), runDir, StandardCopyOption.ATOMIC_MOVE);
      writeOrder(runDir.resolve("order.json"), id, spec, lease.uid);
      giveTo(runDir.resolve(STATS), lease.uid);
      List<String> restore = new ArrayList<>(List.of(ForkPrimitive.inside(ForkPrimitive.RESTORER),
          "--server", ref.pageserver(), "--handle", Long.toString(ref.handle()), "--key", ref.key(),
          "--cache", CACHE, "--stats", ContainerStarts.RUN + "/" + STATS,
          "--uffd-dev-fd", Integer.toString(UFFD_DEV_FD), "--server-fd", Integer.toString(SERVER_FD),
          "--child-fsize", Long.toString(config.logLimitBytes())));
      switch (handles.workingSet(lease, id)) {
        case PREFETCH -> restore.addAll(List.of("--prefetch", CACHE + "/" + RemoteHandles.WORKING_SET));
        case RECORD -> restore.addAll(List.of("--record", CACHE + "/" + RemoteHandles.WORKING_SET));
        case NONE -> { }
      }
      Instance.Remote r;
      cgroupGiven = true; // from here on the container start owns it (and removes it if it fails)
      try {
        r = containers.startRemote(id, slot.cgroup(), spec, bundle, runDir, restore, ref, lease, t0);
      } catch (ApiError e) {
        throw e.status() == 502 ? new ApiError(502, "remote fork of handle " + ref.handle() + " from "
            + ref.pageserver() + " failed: " + e.getMessage()) : e;
      }
      fetched.open(id);
      started = true;
      return r;
    } catch (IOException e) {
      throw new ApiError(500, "cannot start the remote child: " + e.getMessage());
    } finally {
      if (!started) {
        if (!cgroupGiven) {
          slotMaker.discard(slot);
        }
        RunDirs.deleteTree(runDir);
        handles.ended(lease, id);
        handles.spoil(lease);
        handles.release(lease);
      }
    }
  }

  /**
   * The child's order, read once by the resumed seed code: what a fork order carries (child id,
   * listener, env). Only the instance's uid may read it (the env may hold the function's secrets).
   */
  private static void writeOrder(Path file, String id, StartSpec spec, int uid) throws IOException {
    Map<String, String> env = spec.instanceEnv(Map.of());
    env.put("CLEAVE_MODE", "remote-fork");
    Map<String, Object> order = new LinkedHashMap<>();
    order.put("child_id", id);
    order.put("listener", "unix:" + ContainerStarts.RUN + "/lsnr.sock");
    order.put("env", env);
    Files.write(file, WireJson.write(order).getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    RunDirs.chmod(file, 0400);
    giveTo(file, uid);
  }

  /**
   * Makes a file forkd made the instance's (uid and gid): the restorer rewrites its stats file
   * while the child runs, after the run dir is closed to it.
   */
  private static void giveTo(Path file, int uid) throws IOException {
    if (LibC.INSTANCE.lchown(file.toString(), uid, uid) != 0) {
      throw new IOException(LibC.describe("chown " + file));
    }
  }

  /** Reads what the child's restorer last reported into the node's counts. */
  void sample(Instance.Remote r) {
    fetched.update(r.id, RemoteForkStats.readRestorerStats(r.runDir.resolve(STATS)));
  }

  /** Kills the child with its restorer and gives its share of the handle back; its counts stay in the node's. */
  void delete(Instance.Remote r) {
    sample(r);
    fetched.close(r.id);
    if (exitReason(r.container.mainExit(), r.output()) != null) {
      handles.spoil(r.lease);
    }
    containers.delete(r);
    handles.ended(r.lease, r.id);
    handles.release(r.lease);
  }

  /** Stops making slots (removing the unused ones) and keeping the handles' caches (forkd removes them with its run dirs). */
  void close() {
    slots.close();
    handles.close();
  }

  /**
   * Why an exited remote child ended when its restorer decided it (the page server lost or the
   * handle revoked: exit 70), from the restorer's last message; else null.
   */
  static String exitReason(Integer waitStatus, Path output) {
    if (waitStatus == null || (waitStatus & 0x7f) != 0 || ((waitStatus >> 8) & 0xff) != EXIT_LOST) {
      return null;
    }
    String reason = "the restorer ended the child (exit " + EXIT_LOST + ")";
    for (String line : RunDirs.tail(output).split("\n")) {
      if (line.startsWith("cleave-restore: ")) {
        reason = line.substring("cleave-restore: ".length()).strip();
      }
    }
    return reason;
  }

  /** A {@code remote} reference as a start request carries it, checked: a 400 says what is wrong. */
  static RemoteRef checked(RemoteRef ref) {
    if (ref == null) {
      throw StartChecks.bad("remote is required for mode remote-fork ({\"pageserver\", \"handle\", \"key\"})");
    }
    String ps = StartChecks.required(ref.pageserver(), "remote.pageserver");
    if (!ps.matches("(\\d{1,3}\\.){3}\\d{1,3}:\\d{1,5}") || Integer.parseInt(ps.substring(ps.indexOf(':') + 1)) > 65535
        || Integer.parseInt(ps.substring(ps.indexOf(':') + 1)) == 0) {
      throw StartChecks.bad("remote.pageserver must be IPv4-address:port, got " + ps);
    }
    if (ref.handle() <= 0) {
      throw StartChecks.bad("remote.handle must be a positive handle number, got " + ref.handle());
    }
    if (ref.key() == null || !ref.key().matches("[0-9a-f]{32}")) {
      throw StartChecks.bad("remote.key must be 32 lowercase hex digits");
    }
    return ref;
  }
}
