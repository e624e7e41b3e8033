package io.cleave.bench.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScheduleTest {
  static Trace sample;

  @BeforeAll
  static void read() throws IOException {
    sample = TraceReader.read(TraceReaderTest.AZURE.resolve("sample100-8h"));
  }

  static ScheduleOptions options(int from, int minutes, double secondsPerMinute, double scale, Spread spread, long seed) {
    return new ScheduleOptions(from, minutes, secondsPerMinute, scale, spread, seed, 1.0, 60_000, 100, 128);
  }

  @Test
  void preservesEveryMinutesCountExactly() {
    Trace t = sample.withFunctions(TraceSelection.top(sample, 10, 0, sample.minutes()));
    for (Spread spread : List.of(Spread.UNIFORM, Spread.POISSON)) {
      Schedule s = Schedule.build(t, options(860, 20, 1.0, 1.0, spread, 42));
      for (int f = 0; f < t.functions().size(); f++) {
        int[] expected = Arrays.copyOfRange(t.functions().get(f).perMinute(), t.indexOf(860), t.indexOf(880));
        assertArrayEquals(expected, s.perMinute(f), spread + " function " + f);
      }
      long total = t.functions().stream().mapToLong(fn -> fn.total(t.indexOf(860), t.indexOf(880))).sum();
      assertEquals(total, s.calls().size());
      // every call sits inside its own compressed minute, and the list is in send order
      long prev = -1;
      for (PlannedCall c : s.calls()) {
        long minuteStart = (c.minute() - 860) * 1_000_000L;
        assertTrue(c.atMicros() >= minuteStart && c.atMicros() < minuteStart + 1_000_000L, c.toString());
        assertTrue(c.atMicros() >= prev);
        prev = c.atMicros();
      }
      assertEquals(20_000_000L, s.lengthMicros());
    }
  }

  @Test
  void isReproducibleFromTheSeed() {
    Trace t = sample.withFunctions(TraceSelection.random(sample, 8, 7));
    Schedule a = Schedule.build(t, options(500, 30, 2.0, 1.0, Spread.POISSON, 99));
    Schedule b = Schedule.build(t, options(500, 30, 2.0, 1.0, Spread.POISSON, 99));
    Schedule c = Schedule.build(t, options(500, 30, 2.0, 1.0, Spread.POISSON, 100));
    assertEquals(a.calls(), b.calls());
    assertNotEquals(a.calls(), c.calls());
    assertEquals(TraceSelection.random(sample, 8, 7), TraceSelection.random(sample, 8, 7));
    assertNotEquals(TraceSelection.random(sample, 8, 7), TraceSelection.random(sample, 8, 8));
  }

  @Test
  void aFunctionsCallsDoNotDependOnTheOtherFunctionsChosen() {
    TraceFunction spiky = TraceReaderTest.find(sample, "7017de4f");
    Trace alone = sample.withFunctions(List.of(spiky));
    Trace withOthers = sample.withFunctions(List.of(TraceReaderTest.find(sample, "1948876d"), spiky));
    List<PlannedCall> a = Schedule.build(alone, options(860, 15, 1, 1, Spread.POISSON, 5)).calls();
    List<PlannedCall> b = Schedule.build(withOthers, options(860, 15, 1, 1, Spread.POISSON, 5)).calls().stream()
        .filter(c -> c.function() == 1)
        .map(c -> new PlannedCall(c.atMicros(), 0, c.minute(), c.durationMs(), c.memoryMb()))
        .toList();
    assertEquals(a, b);
  }

  @Test
  void uniformSpreadIsEvenAndDrawsFollowTheTrace() {
    TraceFunction spiky = TraceReaderTest.find(sample, "7017de4f");
    Schedule s = Schedule.build(sample.withFunctions(List.of(spiky)), options(869, 1, 10.0, 1.0, Spread.UNIFORM, 1));
    assertEquals(734, s.calls().size());
    double gap = 10e6 / 734;
    for (int i = 0; i < s.calls().size(); i++) {
      assertEquals((i + 0.5) * gap, s.calls().get(i).atMicros(), 1.0);
    }
    // durations come from the percentiles (p0 = 7 ms, p100 = 6078 ms), memory from the memory file
    long[] ms = s.calls().stream().mapToLong(PlannedCall::durationMs).sorted().toArray();
    assertTrue(ms[0] >= 7 && ms[ms.length - 1] <= 6078);
    assertEquals(11, ms[ms.length / 2], 2);
    assertTrue(s.calls().stream().allMatch(c -> c.memoryMb() >= 31 && c.memoryMb() <= 128));
  }

  @Test
  void rateScaleKeepsTheExpectedCount() {
    TraceFunction spiky = TraceReaderTest.find(sample, "7017de4f");
    Schedule s = Schedule.build(sample.withFunctions(List.of(spiky)), options(860, 20, 1, 0.25, Spread.POISSON, 3));
    int[] per = s.perMinute(0);
    for (int m = 0; m < 20; m++) {
      double expected = spiky.perMinute()[sample.indexOf(860 + m)] * 0.25;
      assertTrue(Math.abs(per[m] - expected) < 1.0, "minute " + m + ": " + per[m] + " vs " + expected);
    }
  }

  @Test
  void exactSpreadReplaysRecordedStarts(@TempDir Path dir) throws IOException {
    Path csv = dir.resolve("t.csv");
    Files.writeString(csv, "app,func,end_timestamp,duration\na,f,1.0,0.5\na,f,61.0,1.0\na,f,119.0,0.25\nb,g,90.0,30.0\n");
    Trace t = TraceReader.read(csv);
    Schedule s = Schedule.build(t, options(0, 2, 6.0, 1.0, Spread.EXACT, 1));
    assertEquals(List.of(
        new PlannedCall(50_000, 0, 0, 500, 128),
        new PlannedCall(6_000_000, 0, 1, 1000, 128),
        new PlannedCall(6_000_000, 1, 1, 30000, 128),
        new PlannedCall(11_875_000, 0, 1, 250, 128)), s.calls());
    assertThrows(IllegalArgumentException.class,
        () -> Schedule.build(sample, options(500, 2, 1, 1, Spread.EXACT, 1)));
    assertThrows(IllegalArgumentException.class,
        () -> Schedule.build(t, options(2, 2, 1, 1, Spread.POISSON, 1)));
  }

  @Test
  void findsTheBurstiestFunction() {
    TraceSelection.Burst b = TraceSelection.burstiest(sample, 100);
    assertEquals("7017de4f", b.function().shortId());
    assertEquals(869, sample.firstMinute() + b.peakIndex());
    assertEquals(734, b.peak());
  }
}
