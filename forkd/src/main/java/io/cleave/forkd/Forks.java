package io.cleave.forkd;

import io.cleave.common.error.ApiError;
import io.cleave.forkd.api.StartRequest;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * Fork children: a fork order to the seed (docs/CONTRACTS.md, "forkd → seed control protocol"),
 * then the child moved into a cgroup of its own, in a run dir under its seed's children dir, both
 * made ahead as a {@link ChildSlots.Slot}. The child is the seed's, not forkd's: its exit status
 * comes from the kernel's process events.
 */
final class Forks implements AutoCloseable {
  /** Inside the seed's container (docs/CONTRACTS.md). */
  private static final String CHILDREN = "/cleave/children";
  /** Fork slots kept ready: enough for a burst of forks while the refill catches up. */
  private static final int FORK_SLOTS = 8;
  private static final long LEARN_TIMEOUT_MS = 5_000;
  /** A child's delete waits this long at most for its seed's answer to whether to learn from it. */
  private static final long LEARN_PING_TIMEOUT_MS = 1_000;
  private static final Logger LOG = Logger.getLogger("forkd");

  private final CgroupLayout cgroups;
  private final int mbPerCpu;
  private final Readiness readiness;
  private final ChildSlots made;
  private final MadeAhead<ChildSlots.Slot> slots;
  /**
   * Slots of kept instances' children, staged on the data dir where their run dirs go (a kept
   * instance's children dir is there, beside its consumers' hard-linked bundles), so that taking
   * one is a rename, not a run dir made and a staged one deleted on the fork's path; made from a
   * node's first such fork on.
   */
  private final MadeAhead<ChildSlots.Slot> keptSlots;
  /** Null when the kernel or privileges do not allow process events. */
  private final ExitEvents exits = ExitEvents.open();

  Forks(ForkdConfig config, CgroupLayout cgroups, Readiness readiness) {
    this.cgroups = cgroups;
    this.mbPerCpu = config.mbPerCpu();
    this.readiness = readiness;
    this.made = ChildSlots.forForks(cgroups, config.slotsDir(), config.pidsMax(), config.keptSlotCgroups());
    this.slots = new MadeAhead<>("fork slot", made::make, s -> true, made::discard, FORK_SLOTS);
    ChildSlots kept = ChildSlots.forForks(cgroups, config.remoteSlotsDir(), config.pidsMax(), 0);
    this.keptSlots = new MadeAhead<>("kept instance's fork slot", kept::make, s -> true, kept::discard, FORK_SLOTS, 0,
        true);
  }

  /**
   * The function a child of a kept instance serves instead of the kept one's: its unpacked
   * bundle and, inside it, the module file and handler (from a {@code python3 -m fdk
   * /function/<file> <handler>} command).
   */
  record ConsumerCode(Path bundle, String file, String handler) {
    static ConsumerCode of(List<String> command, Path bundle, String keptInterpreter) {
      if (!sameBinary(command.get(0), keptInterpreter)) {
        throw StartChecks.bad("a fork of a kept instance runs on its interpreter (" + keptInterpreter
            + "), the consumer's is " + command.get(0) + ": fork edges need both functions on the same runtime");
      }
      if (command.size() < 4 || !command.subList(1, 3).equals(List.of("-m", "fdk"))
          || !command.get(3).startsWith("/function/") || command.get(3).contains("..")) {
        throw StartChecks.bad("the consumer's command must be <python> -m fdk /function/<file> [handler]");
      }
      return new ConsumerCode(bundle, command.get(3).substring("/function/".length()),
          command.size() > 4 ? command.get(4) : "handler");
    }

    /** Two paths to one interpreter (python3 and python3.11 on Debian 12) are one runtime. */
    private static boolean sameBinary(String a, String b) {
      try {
        return a.equals(b) || Files.isSameFile(Path.of(a), Path.of(b));
      } catch (IOException e) {
        return false;
      }
    }
  }

  /**
   * Orders the seed (or kept instance) to fork; answers once the child is ready. A fork of a kept
   * instance loads {@code consumer} (null otherwise), whose bundle is linked under the kept
   * instance's children dir, where its container sees it. A failed fork leaves nothing behind.
   * {@code after} (null: fork now): the kept instance forks once it answered that call, and the
   * wait for it is the call's on top of the start timeout.
   */
  Instance.Forked fork(Instance.Seed seed, StartSpec spec, ConsumerCode consumer, StartRequest.ForkAfter after,
      long t0) {
    if (seed.deleted || !seed.handle.alive()) {
      throw new ApiError(409, "seed " + seed.id + " has exited");
    }
    Map<String, String> function = null;
    if (consumer != null) {
      try {
        String name = BundleLinks.linkOnce(consumer.bundle(), seed.childrenDir.resolve(BundleLinks.DIR));
        function = new LinkedHashMap<>();
        function.put("file", CHILDREN + "/" + BundleLinks.DIR + "/" + name + "/" + consumer.file());
        function.put("handler", consumer.handler());
      } catch (IOException e) {
        throw new ApiError(500, "cannot make the consumer's bundle visible to kept instance " + seed.id + ": "
            + e.getMessage());
      }
    }
    ChildSlots.Slot slot;
    try {
      slot = (seed.kept ? keptSlots : slots).take();
    } catch (IOException e) {
      throw new ApiError(500, "cannot prepare a fork: " + e.getMessage());
    }
    String id = slot.id();
    Path runDir = seed.childrenDir.resolve(id);
    SlotCgroup cgroup = slot.slotCgroup();
    PidHandle handle = null;
    Instance.Forked child = null;
    boolean started = false;
    try {
      try {
        Files.move(slot.stagedDir(), runDir, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException elsewhere) {
        // Staged on another file system than the children dir: a run dir made in place instead.
        ChildSlots.makeForkRunDir(runDir);
        RunDirs.deleteTree(slot.stagedDir());
      }
      Path output = runDir.resolve("output");
      String inside = CHILDREN + "/" + id;
      Map<String, String> env = spec.instanceEnv(Map.of());
      env.put("FN_LISTENER", "unix:" + inside + "/lsnr.sock");
      Path ready = runDir.resolve("lsnr.sock");
      try (PathWatch.Watch watch = readiness.watch(runDir)) {
        SeedControl.ForkAnswer answer;
        try {
          answer = seed.control.fork(id, "unix:" + inside + "/lsnr.sock", inside + "/output", env, function,
              after == null ? null : after.callId(),
              readiness.timeoutMs() + (after == null ? 0 : after.waitSeconds() * 1000L));
        } catch (SeedControl.NotForkable notForkable) {
          // The seed's reason as it is: the invoker falls back to another start mode and records why.
          throw new ApiError(422, notForkable.getMessage());
        } catch (SeedControl.Refused refused) {
          throw new ApiError(502, "seed " + seed.id + " refused the fork: " + refused.getMessage());
        }
        long nsPid = answer.pid();
        // A child that followed a call started now: its readiness is timed from here.
        long readySince = after == null ? t0 : System.nanoTime();
        if (answer.learn() > 0) {
          learnFirstCallPages(seed, answer.learn(), false);
        }
        // The seed opened it for the child before forking: from now on only that descriptor writes it.
        RunDirs.closeOutput(output);
        // Limits go in while the child starts up, before it joins the cgroup (only those that differ from its previous child's).
        cgroup.limit(cgroups, new SlotCgroup.Limits(spec.memoryBytes(), spec.cpuShares(), spec.cpuQuotaUs(mbPerCpu)));
        long pid = ProcFs.childWithNsPid(seed.pid, nsPid);
        cgroup.join(pid);
        handle = PidHandle.open(pid);
        if (exits != null) {
          exits.watch(pid);
        }
        PidHandle h = handle;
        child = new Instance.Forked(id, pid, nsPid, cgroup, runDir, seed, handle);
        Instance.Forked c = child;
        seed.children.add(child);
        readiness.await(watch, ready, readySince, () -> h != null && h.alive(),
            () -> Readiness.describeExit(exitStatus(c)), output);
        RunDirs.takeOver(ready);
        if (seed.ended.get()) {
          throw new ApiError(409, "seed " + seed.id + " was deleted while forking");
        }
        started = true;
        return child;
      }
    } catch (IOException e) {
      throw new ApiError(502, "fork from seed " + seed.id + " failed: " + e.getMessage());
    } finally {
      if (!started) {
        made.remove(cgroup);
        if (handle != null) {
          handle.kill();
          handle.close();
        }
        if (child != null) {
          seed.children.remove(child);
          if (exits != null) {
            exits.forget(child.pid);
          }
        }
        RunDirs.deleteTree(runDir);
        RunDirs.deleteTree(slot.stagedDir());
      }
    }
  }

  /**
   * Reads the first-call pages of the seed's child {@code nsPid} (one forkd forked: a pid the
   * seed names is checked against its children) and sends them to the seed, on a thread of its
   * own ({@code inline} false, off a fork's path) or on this one (before the child is killed).
   * One read at a time per seed, none once the seed took pages.
   */
  private static void learnFirstCallPages(Instance.Seed seed, long nsPid, boolean inline) {
    Instance.Forked learner = seed.children.stream().filter(f -> f.nsPid == nsPid).findFirst().orElse(null);
    if (learner == null) {
      LOG.fine("seed " + seed.id + " named " + nsPid + " to learn pages from, not a child of its own (any more)");
      return;
    }
    if (!seed.learningPages.compareAndSet(false, true)) {
      return;
    }
    Runnable read = () -> {
      boolean learned = false;
      try {
        List<long[]> ranges = FirstCallPages.read(learner.pid);
        if (!ranges.isEmpty() && learner.handle.alive()) {
          long kept = seed.control.pages(ranges, LEARN_TIMEOUT_MS);
          learned = true;
          LOG.info("seed " + seed.id + " learned " + kept + " first-call pages from its child " + learner.id);
        }
      } catch (IOException | SeedControl.Refused e) {
        LOG.info("first-call pages of " + learner.id + " not learned: " + e.getMessage());
      } finally {
        seed.learningPages.set(learned);
      }
    };
    if (inline) {
      read.run();
      return;
    }
    Thread reader = new Thread(read, "first-call-pages-" + seed.id);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Before a child of a seed that has not learned its first-call pages goes: asks the seed
   * (ping) whether a child's first call came out since, and learns from that child while it
   * still runs (this one, most often: the invoker deletes a child once it idled out).
   */
  private static void learnBeforeDelete(Instance.Forked f) {
    Instance.Seed seed = f.seed;
    // A kept instance's children run other functions' code: it learns nothing from them, and a
    // ping per child would queue behind (and delay) its fork orders.
    if (seed.kept || seed.learningPages.get() || seed.deleted || !seed.handle.alive() || f.handle == null || !f.handle.alive()) {
      return;
    }
    try {
      long learn = seed.control.request(Map.of("op", "ping"), LEARN_PING_TIMEOUT_MS).path("learn").asLong(0);
      if (learn > 0) {
        learnFirstCallPages(seed, learn, true);
      }
    } catch (IOException e) {
      // A seed that does not answer gets no more pings: its children's deletes never wait on it again.
      seed.learningPages.set(true);
      LOG.info("seed " + seed.id + " did not answer a ping before " + f.id + " went: " + e);
    }
  }

  boolean running(Instance.Forked f) {
    return f.handle != null && f.handle.alive();
  }

  /** The child's wait status once it exited, else null (also when the exit was not observable). */
  Integer exitStatus(Instance.Forked f) {
    if (exits == null) {
      return f.seed.container.reaped(f.nsPid);
    }
    // The exit event trails the pidfd turning readable by a moment: give it that moment.
    long deadline = System.nanoTime() + 100_000_000;
    Integer s;
    while ((s = exits.status(f.pid)) == null && System.nanoTime() < deadline) {
      LockSupport.parkNanos(1_000_000);
    }
    return s != null ? s : f.seed.container.reaped(f.nsPid);
  }

  /** Kills the child (with its cgroup) and removes its run dir; its seed may end its container then. */
  void delete(Instance.Forked f) {
    learnBeforeDelete(f);
    if (f.handle != null) {
      // Killed through its pidfd and waited for by it: the cgroup is empty then (unless the child
      // forked), where polling its cgroup.procs until the exit is over cost forkd hundreds of reads.
      f.handle.kill();
      f.handle.awaitExit(1_000);
    }
    cgroups.killAll(f.cgroup);
    if (f.handle != null) {
      f.handle.close();
    }
    if (exits != null) {
      exits.forget(f.pid);
    }
    // The run dir first: what the child left on the tmpfs is charged to its cgroup until then.
    RunDirs.deleteTree(f.runDir);
    made.recycle(f.slotCgroup);
    f.seed.children.remove(f);
  }

  /** Stops preparing slots (removing the unused ones) and listening for exits. */
  @Override
  public void close() {
    slots.close();
    keptSlots.close();
    made.close();
    if (exits != null) {
      exits.close();
    }
  }
}
