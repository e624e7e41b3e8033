package io.cleave.forkd;

import java.util.BitSet;

/**
 * The unprivileged uids forkd gives containers: one per cold instance or seed (a seed's children
 * share it, being copies of the seed), back to the range when the container is gone.
 */
final class UidRange {
  private final int base;
  private final int count;
  private final BitSet used = new BitSet();

  UidRange(int base, int count) {
    this.base = base;
    this.count = count;
  }

  /** A free uid, or -1 when every one is taken. */
  synchronized int acquire() {
    int slot = used.nextClearBit(0);
    if (slot >= count) {
      return -1;
    }
    used.set(slot);
    return base + slot;
  }

  synchronized void release(int uid) {
    used.clear(uid - base);
  }
}
