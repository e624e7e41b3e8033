package io.cleave.bench.replay;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The calls of a replay, in send order. Built deterministically from a trace window and a seed:
 * every function draws from its own random stream (seeded by the run's seed and the function's
 * hash), so a function's calls do not change when other functions join or leave the selection.
 */
public record Schedule(Trace trace, ScheduleOptions options, List<PlannedCall> calls) {

  public Schedule {
    calls = List.copyOf(calls);
  }

  /** Wall-clock length of the replay in microseconds. */
  public long lengthMicros() {
    return Math.round(options.minutes() * options.secondsPerMinute() * 1e6);
  }

  /** Calls per trace minute for one function (index 0 = the window's first minute). */
  public int[] perMinute(int function) {
    int[] counts = new int[options.minutes()];
    for (PlannedCall c : calls) {
      if (c.function() == function) {
        counts[c.minute() - options.fromMinute()]++;
      }
    }
    return counts;
  }

  public static Schedule build(Trace trace, ScheduleOptions o) {
    int from = trace.indexOf(o.fromMinute());
    trace.indexOf(o.fromMinute() + o.minutes() - 1);
    double microsPerMinute = o.secondsPerMinute() * 1e6;
    List<PlannedCall> calls = new ArrayList<>();
    for (int f = 0; f < trace.functions().size(); f++) {
      TraceFunction fn = trace.functions().get(f);
      SplittableRandom rng = new SplittableRandom(o.seed() * 0x9E3779B97F4A7C15L ^ stableHash(fn.function()));
      if (o.spread() == Spread.EXACT) {
        exact(fn, f, from, o, microsPerMinute, rng, calls);
        continue;
      }
      for (int m = 0; m < o.minutes(); m++) {
        int n = scaled(fn.perMinute()[from + m], o.rateScale(), rng);
        double[] offsets = new double[n];
        for (int i = 0; i < n; i++) {
          offsets[i] = o.spread() == Spread.UNIFORM ? (i + 0.5) / n : rng.nextDouble();
        }
        Arrays.sort(offsets);
        for (double offset : offsets) {
          long at = (long) ((m + offset) * microsPerMinute);
          calls.add(new PlannedCall(at, f, o.fromMinute() + m, duration(fn, o, rng), memory(fn, o, rng)));
        }
      }
    }
    calls.sort(Comparator.comparingLong(PlannedCall::atMicros).thenComparingInt(PlannedCall::function));
    return new Schedule(trace, o, calls);
  }

  private static void exact(
      TraceFunction fn, int f, int from, ScheduleOptions o, double microsPerMinute, SplittableRandom rng, List<PlannedCall> calls) {
    Invocations inv = fn.invocations();
    if (inv == null) {
      throw new IllegalArgumentException("spread 'exact' needs a per-invocation (2021) trace; use uniform or poisson");
    }
    double startSec = from * 60.0;
    double endSec = (from + o.minutes()) * 60.0;
    for (int i = 0; i < inv.size(); i++) {
      double s = inv.startSeconds()[i];
      if (s < startSec || s >= endSec) {
        continue;
      }
      int copies = scaled(1, o.rateScale(), rng);
      for (int k = 0; k < copies; k++) {
        long at = (long) ((s - startSec) / 60.0 * microsPerMinute);
        long ms = Math.min(o.maxDurationMs(), Math.round(inv.durationMs()[i] * o.durationScale()));
        int minute = o.fromMinute() + (int) Math.floor((s - startSec) / 60.0);
        calls.add(new PlannedCall(at, f, minute, ms, memory(fn, o, rng)));
      }
    }
  }

  /** {@code count * scale} with stochastic rounding; exact when the product is whole. */
  static int scaled(int count, double scale, SplittableRandom rng) {
    if (scale == 1.0) {
      return count;
    }
    double x = count * scale;
    int whole = (int) Math.floor(x);
    double frac = x - whole;
    return frac > 0 && rng.nextDouble() < frac ? whole + 1 : whole;
  }

  private static long duration(TraceFunction fn, ScheduleOptions o, SplittableRandom rng) {
    double u = rng.nextDouble();
    double ms = fn.durationMs().isEmpty() ? o.defaultDurationMs() : fn.durationMs().sample(u);
    return Math.min(o.maxDurationMs(), Math.round(ms * o.durationScale()));
  }

  private static int memory(TraceFunction fn, ScheduleOptions o, SplittableRandom rng) {
    double u = rng.nextDouble();
    int drawn = fn.memoryMb().isEmpty() ? o.defaultMemoryMb() : (int) Math.ceil(fn.memoryMb().sample(u));
    return Math.min(drawn, highestMemoryMb(fn, o));
  }

  /**
   * The most memory any call of {@code fn} is drawn to touch, in any window and with any seed: the
   * trace's highest allocation percentile (draws interpolate between the percentiles, so none is
   * above it). Deployed limits derive from this, not from one schedule's draws.
   */
  public static int highestMemoryMb(TraceFunction fn, ScheduleOptions o) {
    return fn.memoryMb().isEmpty() ? o.defaultMemoryMb() : (int) Math.ceil(fn.memoryMb().at(100));
  }

  /** FNV-1a over the id: stable across JVMs, unlike String.hashCode's spread in maps. */
  private static long stableHash(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    return h;
  }
}
