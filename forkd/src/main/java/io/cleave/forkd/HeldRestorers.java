package io.cleave.forkd;

import io.cleave.forkd.api.RemoteRef;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Remote children's restorers held ready per handle (cleave-restore --hold): each in its own
 * container, cgroup and run dir (a remote slot's), as the handle's uid, connected to the seed's
 * page server with the descriptor fetched and checked and the node's page cache open, waiting
 * before its child exists. A start of that handle then lets one go: the restore (the child's fork,
 * its address space rebuilt, the working set prefetched) happens for the call, as any remote
 * fork's, but without the container start, the exec and the descriptor's round trip. Held for a
 * handle once one of its children was restored here with a recorded working set, at most
 * {@link #PER_HANDLE}, made again only once starts paused; a handle's held restorers go when one
 * of them failed or ended (the page server went, the handle was revoked), and when no start used
 * them for {@link RemoteHandles#KEEP_NANOS}. At most {@link #MAX_HELD} on the node: the handle
 * wanted least recently gives its held restorers up to the others.
 */
final class HeldRestorers implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.held");
  /** Held restorers kept per handle. */
  static final int PER_HANDLE = 4;
  /** Held restorers kept on the node over all handles (each is a container, a cgroup and about 1 MB). */
  static final int MAX_HELD = 8;
  /** Made again only once no start took one or asked for them for this long (as remote slots). */
  private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(150);
  /** How often the dead are looked for (a revoked handle's held restorers end on their own). */
  private static final long SWEEP_MS = 1000;

  /**
   * One held restorer: its id and run dir, what it restores, the start it was made for (its order
   * written, its cgroup limited), its share of the handle and its container.
   */
  record Held(String id, Path runDir, RemoteRef ref, Path bundle, StartSpec spec, RemoteHandles.Lease lease,
      ContainerStarts.Launched launched) {
    boolean alive() {
      return launched.container().alive() && launched.container().mainExit() == null;
    }
  }

  /** Makes one held restorer. */
  interface Maker {
    Held hold(RemoteRef ref, StartSpec spec, Path bundle) throws IOException;
  }

  /** Ends one nobody let go ({@code spoiled}: its handle proved dead here). */
  interface Dropper {
    void drop(Held held, boolean spoiled);
  }

  private record Want(StartSpec spec, Path bundle, long since) {}

  private final Maker maker;
  private final Dropper dropper;
  private final Map<RemoteRef, Deque<Held>> ready = new HashMap<>();
  private final Map<RemoteRef, Want> wanted = new LinkedHashMap<>();
  private final Thread refill;
  private long lastActivity = System.nanoTime() - QUIET_NANOS;
  private boolean closed;

  HeldRestorers(Maker maker, Dropper dropper) {
    this.maker = maker;
    this.dropper = dropper;
    this.refill = new Thread(this::refill, "forkd-held-restorers");
    refill.setDaemon(true);
    refill.start();
  }

  /** A live held restorer of {@code ref} for {@code bundle}, or null. */
  Held take(RemoteRef ref, Path bundle) {
    List<Held> dead = new ArrayList<>();
    Held found = null;
    synchronized (this) {
      lastActivity = System.nanoTime();
      Deque<Held> q = ready.get(ref);
      while (q != null && found == null && !q.isEmpty()) {
        Held h = q.pollFirst();
        if (h.alive() && h.bundle().equals(bundle)) {
          found = h;
        } else {
          dead.add(h);
        }
      }
      if (!dead.isEmpty()) {
        forget(ref, dead);
      }
      notifyAll();
    }
    dead.forEach(h -> dropper.drop(h, !h.alive()));
    return found;
  }

  /** Keeps restorers of {@code ref} held from now on (made once starts paused). */
  synchronized void want(RemoteRef ref, StartSpec spec, Path bundle) {
    if (closed) {
      return;
    }
    lastActivity = System.nanoTime();
    wanted.remove(ref); // re-put: the map's order is the handles' recency
    wanted.put(ref, new Want(spec, bundle, lastActivity));
    notifyAll();
  }

  /** Holds nothing more for {@code ref} and ends its held restorers (now, before this returns). */
  void unwant(RemoteRef ref, boolean spoiled) {
    List<Held> drop = new ArrayList<>();
    synchronized (this) {
      wanted.remove(ref);
      Deque<Held> q = ready.remove(ref);
      if (q != null) {
        drop.addAll(q);
      }
    }
    drop.forEach(h -> dropper.drop(h, spoiled));
  }

  /** Held restorers ready now, over all handles. */
  synchronized int count() {
    return ready.values().stream().mapToInt(Deque::size).sum();
  }

  /** Stops holding for {@code ref} when {@code dead} were found (dead restorers: its handle went). Under the lock. */
  private void forget(RemoteRef ref, List<Held> dead) {
    if (dead.stream().anyMatch(h -> !h.alive())) {
      wanted.remove(ref);
      Deque<Held> q = ready.remove(ref);
      if (q != null) {
        dead.addAll(q);
      }
    }
  }

  private void refill() {
    while (true) {
      RemoteRef ref = null;
      Want want = null;
      List<Held> drop = new ArrayList<>();
      synchronized (this) {
        while (true) {
          if (closed) {
            return;
          }
          sweep(drop);
          if (!drop.isEmpty()) {
            break;
          }
          long quietLeft = lastActivity + QUIET_NANOS - System.nanoTime();
          // The handle wanted last first; at the node's bound, the least recently wanted handle gives one up.
          List<Map.Entry<RemoteRef, Want>> byRecency = new ArrayList<>(wanted.entrySet());
          Collections.reverse(byRecency);
          Map.Entry<RemoteRef, Want> below = byRecency.stream()
              .filter(e -> ready.getOrDefault(e.getKey(), new ArrayDeque<>()).size() < PER_HANDLE)
              .findFirst().orElse(null);
          if (below != null && quietLeft <= 0 && count() >= MAX_HELD) {
            RemoteRef older = null; // only a handle wanted before this one: two never take turns
            for (RemoteRef r : wanted.keySet()) {
              if (r.equals(below.getKey())) {
                break;
              }
              if (older == null && !ready.getOrDefault(r, new ArrayDeque<>()).isEmpty()) {
                older = r;
              }
            }
            if (older != null) {
              drop.add(ready.get(older).pollFirst());
              break;
            }
          }
          if (below != null && quietLeft <= 0 && count() < MAX_HELD) {
            ref = below.getKey();
            want = below.getValue();
            break;
          }
          try {
            // Until starts paused; at the bound with none to give up, until something changes (or the next sweep).
            long waitMs = below != null && quietLeft > 0 ? TimeUnit.NANOSECONDS.toMillis(quietLeft) + 1 : SWEEP_MS;
            wait(Math.min(waitMs, SWEEP_MS));
          } catch (InterruptedException e) {
            return;
          }
        }
      }
      if (!drop.isEmpty()) {
        drop.forEach(h -> dropper.drop(h, !h.alive()));
        continue;
      }
      Held h;
      try {
        h = maker.hold(ref, want.spec(), want.bundle());
      } catch (IOException | RuntimeException e) {
        LOG.fine("cannot hold a restorer of handle " + ref.handle() + " from " + ref.pageserver() + ": " + e);
        unwant(ref, false);
        continue;
      }
      boolean kept = false;
      synchronized (this) {
        if (!closed && wanted.containsKey(ref)) {
          ready.computeIfAbsent(ref, k -> new ArrayDeque<>()).addLast(h);
          kept = true;
        }
      }
      if (!kept) {
        dropper.drop(h, false);
      }
    }
  }

  /**
   * Under the lock: takes out the held restorers of handles that proved dead (one of theirs ended)
   * or that no start used for {@link RemoteHandles#KEEP_NANOS}, into {@code drop}.
   */
  private void sweep(List<Held> drop) {
    long now = System.nanoTime();
    for (RemoteRef ref : new ArrayList<>(ready.keySet())) {
      Deque<Held> q = ready.get(ref);
      Want w = wanted.get(ref);
      boolean stale = w == null || now - Math.max(w.since(), lastActivity) >= RemoteHandles.KEEP_NANOS;
      if (stale || q.stream().anyMatch(h -> !h.alive())) {
        wanted.remove(ref);
        drop.addAll(ready.remove(ref));
      }
    }
  }

  /** Ends every held restorer. */
  @Override
  public void close() {
    List<Held> drop = new ArrayList<>();
    synchronized (this) {
      closed = true;
      ready.values().forEach(drop::addAll);
      ready.clear();
      wanted.clear();
      notifyAll();
    }
    refill.interrupt();
    try {
      refill.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    drop.forEach(h -> dropper.drop(h, false));
  }
}
