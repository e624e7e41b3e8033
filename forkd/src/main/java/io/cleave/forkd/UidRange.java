package io.cleave.forkd;

import java.util.BitSet;

/**
 * The unprivileged uids forkd gives containers: one per cold instance or seed (a seed's children
 * share it, being copies of the seed), back to the range when the container is gone.
 *
 * <p>A freed uid is not handed out again until every other uid of the range has been: what an
 * owner may have left behind under its uid that outlives its container (kernel keyrings, whose
 * calls the seccomp filter denies anyway; files in a shared place) meets a new owner as late as
 * possible, and never while anything of the old one runs (a uid is freed only once its container
 * is empty).
 */
final class UidRange {
  private final int base;
  private final int count;
  private final BitSet used = new BitSet();
  /** Where the search for the next free uid starts: just past the last one handed out. */
  private int next;

  UidRange(int base, int count) {
    this.base = base;
    this.count = count;
  }

  /** A free uid, or -1 when every one is taken. */
  synchronized int acquire() {
    int slot = used.nextClearBit(next);
    if (slot >= count) {
      slot = used.nextClearBit(0);
      if (slot >= count) {
        return -1;
      }
    }
    used.set(slot);
    next = slot + 1 == count ? 0 : slot + 1;
    return base + slot;
  }

  synchronized void release(int uid) {
    used.clear(uid - base);
  }
}
