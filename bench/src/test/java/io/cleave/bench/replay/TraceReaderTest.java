package io.cleave.bench.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceReaderTest {
  static final Path AZURE = SharedData.dir().resolve("azure2019");

  static TraceFunction find(Trace t, String prefix) {
    return t.functions().stream().filter(f -> f.function().startsWith(prefix)).findFirst().orElseThrow();
  }

  @Test
  void readsDayTraceWithMemoryColumnAfterApp() throws IOException {
    Trace t = TraceReader.read(AZURE.resolve("day01-10"));
    assertEquals(TraceReader.FORMAT_2019, t.format());
    assertEquals(10, t.functions().size());
    assertEquals(1, t.firstMinute());
    assertEquals(1440, t.minutes());
    TraceFunction f = find(t, "47658c9c");
    assertEquals("http", f.trigger());
    assertEquals(197, f.perMinute()[0]);
    assertEquals(196, f.perMinute()[1439]);
    assertEquals(281962, f.total());
    assertArrayEquals(new double[] {0, 1, 25, 50, 75, 99, 100}, f.durationMs().points());
    assertArrayEquals(new double[] {1, 247, 269, 282, 304, 481, 130686}, f.durationMs().values());
    assertArrayEquals(new double[] {1, 5, 25, 50, 75, 95, 99, 100}, f.memoryMb().points());
    assertArrayEquals(new double[] {112, 122, 202, 208, 216, 232, 245, 398}, f.memoryMb().values());
    assertNull(f.invocations());
  }

  @Test
  void readsSampleTraceWithMemoryColumnFirst() throws IOException {
    Trace t = TraceReader.read(AZURE.resolve("sample100-8h"));
    assertEquals(100, t.functions().size());
    assertEquals(480, t.firstMinute());
    assertEquals(480, t.minutes());
    TraceFunction timer = find(t, "1948876d");
    assertEquals("timer", timer.trigger());
    assertEquals(96, timer.total());
    // memory.csv puts HashFunction first here; the values must still land on this function.
    assertEquals(20.444444444444443, timer.memoryMb().at(1), 1e-9);
    assertEquals(22.88888888888889, timer.memoryMb().at(50), 1e-9);
    assertEquals(42.11111111111112, timer.memoryMb().at(100), 1e-9);
    TraceFunction spiky = find(t, "7017de4f");
    assertEquals(734, spiky.perMinute()[t.indexOf(869)]);
    assertEquals(11, spiky.durationMs().at(50), 1e-9);
  }

  @Test
  void readsTheInvocationsFileDirectly() throws IOException {
    Trace t = TraceReader.read(AZURE.resolve("day01-1").resolve("invocations.csv"));
    assertEquals(1, t.functions().size());
    TraceFunction f = t.functions().get(0);
    assertEquals(12787, f.perMinute()[0]);
    assertEquals(217, f.memoryMb().at(50), 1e-9);
    assertEquals(4, f.durationMs().at(50), 1e-9);
  }

  @Test
  void readsPerInvocationFormat(@TempDir Path dir) throws IOException {
    Path csv = dir.resolve("AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt");
    Files.writeString(csv, """
        app,func,end_timestamp,duration
        a1,f1,0.5,0.25
        a1,f1,61.0,0.5
        a1,f1,59.9,0.1
        a2,f2,130.2,10.0
        a2,f2,200.0,0.004
        a1,f1,5.0,7.0
        """);
    Trace t = TraceReader.read(csv);
    assertEquals(TraceReader.FORMAT_2021, t.format());
    assertEquals(0, t.firstMinute());
    assertEquals(4, t.minutes());
    TraceFunction f1 = find(t, "f1");
    assertEquals("a1", f1.app());
    // starts: 0.25, 60.5, 59.8 and max(0, 5 - 7) = 0
    assertArrayEquals(new int[] {3, 1, 0, 0}, f1.perMinute());
    assertArrayEquals(new double[] {0.0, 0.25, 59.8, 60.5}, f1.invocations().startSeconds(), 1e-9);
    assertArrayEquals(new double[] {7000, 250, 100, 500}, f1.invocations().durationMs(), 1e-9);
    assertEquals(100, f1.durationMs().at(0), 1e-9);
    assertEquals(7000, f1.durationMs().at(100), 1e-9);
    assertTrue(f1.memoryMb().isEmpty());
    TraceFunction f2 = find(t, "f2");
    assertArrayEquals(new int[] {0, 0, 1, 1}, f2.perMinute());
  }

  @Test
  void rejectsBadInputNamingFileAndLine(@TempDir Path dir) throws IOException {
    Path csv = dir.resolve("bad.csv");
    Files.writeString(csv, "app,func,end_timestamp,duration\na,f,1.0,0.1\na,f,soon,0.1\n");
    TraceFormatException e = assertThrows(TraceFormatException.class, () -> TraceReader.read(csv));
    assertTrue(e.getMessage().contains("bad.csv:3"), e.getMessage());

    Path other = dir.resolve("other.csv");
    Files.writeString(other, "x,y\n1,2\n");
    assertThrows(TraceFormatException.class, () -> TraceReader.read(other));

    Path noDurations = dir.resolve("nodur");
    Files.createDirectory(noDurations);
    Files.writeString(noDurations.resolve("invocations.csv"), "HashOwner,HashApp,HashFunction,Trigger,1\no,a,f,http,3\n");
    e = assertThrows(TraceFormatException.class, () -> TraceReader.read(noDurations));
    assertTrue(e.getMessage().contains("durations"), e.getMessage());
  }
}
