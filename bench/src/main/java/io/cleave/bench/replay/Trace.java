package io.cleave.bench.replay;

import java.util.List;

/**
 * A parsed trace: functions with per-minute invocation counts over {@code minutes} minutes whose
 * first minute carries the label {@code firstMinute} (the 2019 trace numbers minutes 1..1440 of a
 * day; the 8-hour sample starts at 480).
 */
public record Trace(String source, String format, int firstMinute, int minutes, List<TraceFunction> functions) {

  public Trace {
    functions = List.copyOf(functions);
  }

  /** The index of the minute labelled {@code label}, checked against the trace's range. */
  public int indexOf(int label) {
    int index = label - firstMinute;
    if (index < 0 || index >= minutes) {
      throw new IllegalArgumentException(
          "minute " + label + " is outside the trace (minutes " + firstMinute + ".." + (firstMinute + minutes - 1) + ")");
    }
    return index;
  }

  public Trace withFunctions(List<TraceFunction> chosen) {
    return new Trace(source, format, firstMinute, minutes, chosen);
  }
}
