package io.cleave.forkd;

import io.cleave.forkd.api.ForkdHealth;
import io.cleave.forkd.api.RemoteRef;
import io.cleave.common.json.WireJson;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.FnNetwork;
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
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

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
  private static final Logger LOG = Logger.getLogger("forkd.remote");
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

  /**
   * Remote children's slots kept ready, each with its lean container prepared: a burst's worth, as
   * {@link Forks} keeps fork slots. A burst's restores then start from the restorer's exec instead
   * of each making a container (a helper spawned, five namespaces unshared, the file system view
   * mounted: the largest share of an on-demand restore's time and CPU). Made from this node's first
   * remote child on: a node that restores none keeps none.
   */
  private static final int REMOTE_SLOTS = 8;
  /**
   * Slots are made again only once no remote child was started for this long: in a burst the
   * restores have the cores to themselves, the slots they took are made after it.
   */
  private static final long REFILL_QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(150);

  /** A remote child's slot: its cgroup and staged run dir, and a container waiting for its order (null: take a pooled one). */
  private record Slot(ChildSlots.Slot child, Container container) {}

  private final ForkdConfig config;
  private final ContainerStarts containers;
  private final RemoteLaunches launches;
  private final ChildSlots slotMaker;
  private final MadeAhead<Slot> slots;
  private final RemoteHandles handles;
  /** Restorers held ready per handle; null when this node restores no remote children. */
  private final HeldRestorers held;
  /** What each child fetched, by its restorer's stats file. */
  private final Tally fetched;

  /** {@code withSlots}: this node restores remote children (the fork primitive is there), so slots are made ahead. */
  RemoteChildren(ForkdConfig config, CgroupLayout cgroups, Readiness readiness, ContainerStarts containers,
      RemoteHandles handles, Tally fetched, boolean withSlots) {
    this.config = config;
    this.slotMaker = ChildSlots.forRemoteChildren(cgroups, config.remoteSlotsDir(), config.pidsMax());
    this.containers = containers;
    this.launches = new RemoteLaunches(config, cgroups, readiness, containers);
    this.slots = new MadeAhead<>("remote slot", this::makeSlot, s -> s.container.alive(), this::discard,
        withSlots ? REMOTE_SLOTS : 0, REFILL_QUIET_NANOS, true);
    this.held = withSlots ? new HeldRestorers(this::hold, this::dropHeld) : null;
    this.handles = handles;
    this.fetched = fetched;
  }

  private Slot makeSlot() throws IOException {
    ChildSlots.Slot child = slotMaker.make();
    try {
      return new Slot(child, containers.prepare());
    } catch (IOException | RuntimeException e) {
      slotMaker.discard(child);
      throw e;
    }
  }

  private void discard(Slot slot) {
    if (slot.container != null) {
      slot.container.killAndWait();
    }
    slotMaker.discard(slot.child);
  }

  /** The remote slots ready, and how many are kept (0 until this node restored its first remote child). */
  ForkdHealth.Pool slots() {
    return new ForkdHealth.Pool(slots.ready(), slots.wanted() ? slots.target() : 0);
  }

  /**
   * Resumes the snapshot {@code ref} here; answers once the child is ready. A restorer held for
   * the handle is let go when there is one (if it fails, the start goes the usual way). A failed
   * start leaves nothing behind.
   */
  Instance.Remote start(RemoteRef ref, StartSpec spec, Path bundle, long t0) {
    HeldRestorers.Held h = held == null ? null : held.take(ref, bundle);
    if (h != null) {
      Instance.Remote r = startHeld(h, spec, t0);
      if (r != null) {
        held.want(ref, spec, bundle);
        return r;
      }
      held.unwant(ref, false);
    }
    Instance.Remote r = startNew(ref, spec, bundle, t0);
    if (held != null && spec.network() != FnNetwork.OUTBOUND && handles.hasWorkingSet(r.lease)) {
      held.want(ref, spec, bundle);
    }
    return r;
  }

  /** Lets a held restorer go with the child's order; null if that failed (then nothing of it is left). */
  private Instance.Remote startHeld(HeldRestorers.Held h, StartSpec spec, long t0) {
    boolean started = false;
    boolean given = false;
    try {
      // Held for this function's starts: its order and limits are in place unless the start differs.
      boolean same = spec.equals(h.spec());
      if (!same) {
        Path order = h.runDir().resolve("order.json");
        Files.delete(order);
        writeOrder(order, h.id(), spec, h.lease().uid);
      }
      given = true; // from here on the go owns the container and cgroup (and removes them if it fails)
      Instance.Remote r = launches.goRemote(h.id(), h.launched(), spec, !same, h.runDir(), h.ref(), h.lease(), t0);
      fetched.open(h.id());
      started = true;
      return r;
    } catch (IOException | ApiError e) {
      LOG.info("held restorer " + h.id() + " of handle " + h.ref().handle() + " failed, restoring anew: " + e.getMessage());
      return null;
    } finally {
      if (!started) {
        if (!given) {
          containers.discard(h.launched());
        }
        RunDirs.deleteTree(h.runDir());
        handles.ended(h.lease(), h.id());
        handles.release(h.lease());
      }
    }
  }

  /**
   * A restorer of {@code ref} held before its child exists, in a remote slot's cgroup, run dir
   * and container (see {@link HeldRestorers}); only once the handle's working set is recorded.
   */
  private HeldRestorers.Held hold(RemoteRef ref, StartSpec spec, Path bundle) throws IOException {
    Slot slot = takeSlot();
    String id = slot.child.id();
    Path runDir = config.instancesDir().resolve(id);
    RemoteHandles.Lease lease = lease(ref, slot);
    boolean held = false;
    boolean slotGiven = false;
    try {
      if (!handles.hasWorkingSet(lease)) {
        throw new IOException("no working set recorded for the handle yet");
      }
      Files.move(slot.child.stagedDir(), runDir, StandardCopyOption.ATOMIC_MOVE);
      giveTo(runDir.resolve(STATS), lease.uid);
      writeOrder(runDir.resolve("order.json"), id, spec, lease.uid);
      Path go = runDir.resolve(RemoteLaunches.HELD_GO);
      if (LibC.INSTANCE.mkfifo(go.toString(), 0600) != 0) {
        throw new IOException(LibC.describe("mkfifo " + go));
      }
      giveTo(go, lease.uid);
      List<String> restore = restoreCommand(ref);
      restore.addAll(List.of("--prefetch", CACHE + "/" + RemoteHandles.WORKING_SET,
          "--hold", ContainerStarts.RUN + "/" + RemoteLaunches.HELD_GO));
      slotGiven = true;
      ContainerStarts.Launched launched = launches.holdRemote(id, slot.child.cgroup(), slot.container, spec, bundle,
          runDir, restore, ref, lease);
      held = true;
      return new HeldRestorers.Held(id, runDir, ref, bundle, spec, lease, launched);
    } finally {
      if (!held) {
        if (!slotGiven) {
          discard(slot);
        }
        RunDirs.deleteTree(runDir);
        handles.release(lease);
      }
    }
  }

  /** A remote slot made ahead, or, with none left, its cgroup and run dir made now (a container then comes from the pool). */
  private Slot takeSlot() throws IOException {
    Slot slot = slots.poll();
    return slot != null ? slot : new Slot(slotMaker.make(), null);
  }

  /** A share of {@code ref} for the child of {@code slot}; without one the slot is discarded. */
  private RemoteHandles.Lease lease(RemoteRef ref, Slot slot) throws IOException {
    try {
      return handles.acquire(ref);
    } catch (IOException | RuntimeException e) {
      discard(slot);
      throw e;
    }
  }

  /** Ends a held restorer nobody let go. */
  private void dropHeld(HeldRestorers.Held h, boolean spoiled) {
    containers.discard(h.launched());
    RunDirs.deleteTree(h.runDir());
    handles.ended(h.lease(), h.id());
    if (spoiled) {
      handles.spoil(h.lease());
    }
    handles.release(h.lease());
  }

  private List<String> restoreCommand(RemoteRef ref) {
    return new ArrayList<>(List.of(ForkPrimitive.inside(ForkPrimitive.RESTORER),
        "--server", ref.pageserver(), "--handle", Long.toString(ref.handle()), "--key", ref.key(),
        "--cache", CACHE, "--stats", ContainerStarts.RUN + "/" + STATS,
        "--uffd-dev-fd", Integer.toString(UFFD_DEV_FD), "--server-fd", Integer.toString(SERVER_FD),
        "--child-fsize", Long.toString(config.logLimitBytes())));
  }

  private Instance.Remote startNew(RemoteRef ref, StartSpec spec, Path bundle, long t0) {
    Slot slot;
    try {
      slot = takeSlot();
    } catch (IOException e) {
      throw new ApiError(500, "cannot prepare a remote child: " + e.getMessage());
    }
    String id = slot.child.id();
    Path runDir = config.instancesDir().resolve(id);
    RemoteHandles.Lease lease;
    try {
      lease = lease(ref, slot);
    } catch (IOException | RuntimeException e) {
      throw e instanceof ApiError a ? a : new ApiError(500, "cannot start the remote child: " + e.getMessage());
    }
    boolean started = false;
    boolean slotGiven = false;
    try {
      Files.move(slot.child.stagedDir(), runDir, StandardCopyOption.ATOMIC_MOVE);
      writeOrder(runDir.resolve("order.json"), id, spec, lease.uid);
      giveTo(runDir.resolve(STATS), lease.uid);
      List<String> restore = restoreCommand(ref);
      switch (handles.workingSet(lease, id)) {
        case PREFETCH -> restore.addAll(List.of("--prefetch", CACHE + "/" + RemoteHandles.WORKING_SET));
        case RECORD -> restore.addAll(List.of("--record", CACHE + "/" + RemoteHandles.WORKING_SET));
        case NONE -> { }
      }
      Instance.Remote r;
      slotGiven = true; // from here on the container start owns its cgroup and container (and removes them if it fails)
      try {
        r = launches.startRemote(id, slot.child.cgroup(), slot.container, spec, bundle, runDir, restore, ref, lease,
            t0);
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
        if (!slotGiven) {
          discard(slot);
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
    if (held != null) {
      held.close();
    }
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
