package io.cleave.bench.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trace function's memory limit covers whatever the replay makes it touch, so a replay's errors
 * come from the platform, never from the mapping: sample100-8h's function {@value #LARGE}
 * allocates 172-207 MB (p1-p99) and up to 293 MB (p100).
 */
class ReplayMemoryLimitTest {
  static final String LARGE = "6ebf3ebd";

  /** The sample (minutes numbered from 480, memory.csv with HashFunction first) with only {@value #LARGE}. */
  private static Trace large() throws IOException {
    Trace sample = TraceReader.read(TraceReaderTest.AZURE.resolve("sample100-8h"));
    return sample.withFunctions(List.of(TraceReaderTest.find(sample, LARGE)));
  }

  @Test
  void theLimitCoversTheHighestPercentileWhateverAWindowDraws() throws IOException {
    Trace one = large();
    TraceFunction f = one.functions().get(0);
    ScheduleOptions first30 = new ScheduleOptions(480, 30, 1.0, 1.0, Spread.POISSON, 1, 1.0, 2000, 100, 64);
    int limit = Workload.TRACE.memoryLimitMb(Schedule.highestMemoryMb(f, first30));
    assertEquals(384, limit, "293 MB at p100 plus the runtime's 64 MB, rounded up to 32 MB");
    // The old mapping took the window's largest draw: below what other windows and seeds draw.
    int windowMax = Schedule.build(one, first30).calls().stream().mapToInt(PlannedCall::memoryMb).max().orElseThrow();
    assertTrue(Workload.TRACE.memoryLimitMb(windowMax) < limit, "window max " + windowMax);
    int drawnMax = 0;
    for (long seed = 1; seed <= 5; seed++) {
      ScheduleOptions all = new ScheduleOptions(480, 480, 1.0, 1.0, Spread.POISSON, seed, 1.0, 2000, 100, 64);
      assertEquals(limit, Workload.TRACE.memoryLimitMb(Schedule.highestMemoryMb(f, all)), "the same limit for any window");
      for (PlannedCall c : Schedule.build(one, all).calls()) {
        assertTrue(c.memoryMb() + Workload.RUNTIME_SHARE_MB <= limit, c + " exceeds " + limit + " MB");
        drawnMax = Math.max(drawnMax, c.memoryMb());
      }
    }
    assertTrue(drawnMax > 287, "some calls draw near p100 (293 MB), got " + drawnMax);
  }

  @Test
  @Timeout(180)
  void shortReplayOfTheLargeFunctionRunsOutOfNoMemory(@TempDir Path tmp) throws IOException {
    Trace one = large();
    // 30 trace minutes in 30 s: warm instances meet larger draws than the buffer they hold.
    ScheduleOptions so = new ScheduleOptions(480, 30, 1.0, 1.0, Spread.POISSON, 1, 1.0, 2000, 100, 64);
    Schedule schedule = Schedule.build(one, so);
    DeployOptions deploy = new DeployOptions(Workload.TRACE, Map.of(), 30, false, Path.of("/nonexistent"), 64, 0, false);
    LoadOptions load = new LoadOptions(64, 60_000, 500, 0, 0, false);
    Vertx vertx = Vertx.vertx();
    try {
      List<ComparisonRun.Row> rows = ComparisonRun.run(vertx, List.of("fork"), "fork", schedule, deploy, load, null,
          tmp.resolve("out"), PolicyServer.standalone(List.of(), System.out), new PrintStream(System.out, true, StandardCharsets.UTF_8));
      JsonObject calls = rows.get(0).summary().getJsonObject("calls");
      assertEquals(schedule.calls().size(), calls.getInteger("ok"), calls.encodePrettily());
    } finally {
      vertx.close().await();
    }
  }
}
