package io.cleave.bench.replay;

/**
 * A part of a replay reported on its own (the burst of a spike experiment): calls scheduled in
 * [fromMicros, toMicros) and metrics samples taken then.
 */
public record ReplayWindow(String name, long fromMicros, long toMicros) {
  public ReplayWindow {
    if (toMicros <= fromMicros) {
      throw new IllegalArgumentException("window '" + name + "' is empty");
    }
  }

  /** The window covering trace minutes [fromMinute, fromMinute + minutes) of a schedule. */
  public static ReplayWindow ofMinutes(String name, ScheduleOptions o, int fromMinute, int minutes) {
    int first = fromMinute - o.fromMinute();
    if (first < 0 || first + minutes > o.minutes() || minutes <= 0) {
      throw new IllegalArgumentException("window '" + name + "' (minutes " + fromMinute + ".." + (fromMinute + minutes - 1)
          + ") is not inside the replayed minutes " + o.fromMinute() + ".." + (o.fromMinute() + o.minutes() - 1));
    }
    double micros = o.secondsPerMinute() * 1e6;
    return new ReplayWindow(name, Math.round(first * micros), Math.round((first + minutes) * micros));
  }

  boolean containsCall(CallRecord r) {
    return r.scheduledMicros() >= fromMicros && r.scheduledMicros() < toMicros;
  }

  boolean containsSample(MetricsSample s) {
    long us = s.elapsedMs() * 1000;
    return us >= fromMicros && us < toMicros;
  }
}
