package io.cleave.invoker;

import java.util.HashMap;
import java.util.Map;

/**
 * One function's JVM seeds on this node, as placement needs them: how many instances each hosts
 * (ready or starting), its version, and whether it is lost (it exited: no instance starts in it
 * any more). Touched only on the invoker's loop.
 */
final class JvmSeats {
  private static final class Seat {
    final FunctionPool.Version version;
    int instances;
    boolean lost;

    Seat(FunctionPool.Version version) {
      this.version = version;
    }
  }

  private final Map<String, Seat> seats = new HashMap<>();

  /**
   * The seed of {@code version} with room for another instance under {@code bound}, fullest first
   * (so idle seeds empty out and end); null when none has room.
   */
  String withRoom(FunctionPool.Version version, int bound) {
    String best = null;
    int most = -1;
    for (Map.Entry<String, Seat> e : seats.entrySet()) {
      Seat s = e.getValue();
      if (!s.lost && s.version.equals(version) && s.instances < bound && s.instances > most) {
        best = e.getKey();
        most = s.instances;
      }
    }
    return best;
  }

  /** An instance of {@code seed} starts or started. */
  void take(String seed, FunctionPool.Version version) {
    seats.computeIfAbsent(seed, id -> new Seat(version)).instances++;
  }

  /** An instance of {@code seed} is gone (or did not start); the seed is forgotten with its last one. */
  void give(String seed) {
    Seat s = seats.get(seed);
    if (s != null && --s.instances <= 0) {
      seats.remove(seed);
    }
  }

  /** The seed exited: no instance starts in it any more. */
  void lost(String seed) {
    Seat s = seats.get(seed);
    if (s != null) {
      s.lost = true;
    }
  }

  /** The seed exited (or is unknown): nothing starts or waits in it. */
  boolean isLost(String seed) {
    Seat s = seats.get(seed);
    return s == null || s.lost;
  }
}
