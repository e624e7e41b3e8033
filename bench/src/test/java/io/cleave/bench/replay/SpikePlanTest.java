package io.cleave.bench.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cleave.bench.SpikeBench;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class SpikePlanTest {
  @Test
  void plansAroundTheBurstiestFunctionOfTheSample() throws IOException {
    Trace sample = TraceReader.read(TraceReaderTest.AZURE.resolve("sample100-8h"));
    SpikeBench.Plan quick = SpikeBench.plan(sample, null, 2, 1, 6.0, 30.0, 1);
    assertEquals("7017de4f", quick.function().substring(0, 8));
    // minutes 868 (244 calls) and 869 (734) stand at 4x the baseline or more; 2 before, 1 after
    assertEquals(868, quick.burstFrom());
    assertEquals(2, quick.burstMinutes());
    assertEquals(866, quick.fromMinute());
    assertEquals(5, quick.minutes());
    // the peak minute (734 calls) is replayed at 30 calls/s over 6 s
    assertEquals(30.0 * 6.0 / 734, quick.rateScale(), 1e-12);
    Schedule s = Schedule.build(sample.withFunctions(java.util.List.of(TraceReaderTest.find(sample, "7017de4f"))),
        new ScheduleOptions(quick.fromMinute(), quick.minutes(), 6.0, quick.rateScale(), Spread.POISSON, 1, 1, 30_000, 100, 64));
    int[] perMinute = s.perMinute(0);
    assertEquals(180, perMinute[3], 1.0);
  }
}
