package io.cleave.forkd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FirstCallPagesTest {
  private static final String MAPS = String.join("\n",
      "55d0c0000000-55d0c0010000 r--p 00000000 08:01 100 /usr/bin/python3.11",
      "55d0c0010000-55d0c0200000 r-xp 00010000 08:01 100 /usr/bin/python3.11",
      "55d0c0400000-55d0c0420000 rw-p 00400000 08:01 100 /usr/bin/python3.11",
      "55d0c1000000-55d0c2000000 rw-p 00000000 00:00 0 [heap]",
      "7f0000000000-7f0000100000 rw-p 00000000 00:00 0",
      "7f0000100000-7f0000200000 r--s 00000000 08:01 200 /dev/shm/shared",
      "7f0000200000-7f0000201000 ---p 00000000 00:00 0",
      "7f0000300000-7f0000310000 r--p 00000000 00:00 0",
      "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]",
      "7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0 [vdso]");

  @Test
  void writableDataCountsOwnPagesAndReadOnlyFileMappingsPresentOnes() {
    List<FirstCallPages.Mapping> found = FirstCallPages.learnable(MAPS);
    long own = (1L << 63) | (1L << 56);
    long present = 1L << 63;
    assertEquals(List.of(
        new FirstCallPages.Mapping(0x55d0c0000000L, 0x55d0c0010000L, present),
        new FirstCallPages.Mapping(0x55d0c0010000L, 0x55d0c0200000L, present),
        new FirstCallPages.Mapping(0x55d0c0400000L, 0x55d0c0420000L, own),
        new FirstCallPages.Mapping(0x55d0c1000000L, 0x55d0c2000000L, own),
        new FirstCallPages.Mapping(0x7f0000000000L, 0x7f0000100000L, own)), found);
  }

  @Test
  void theCodeALiveProcessRanIsLearned() throws Exception {
    long pid = ProcessHandle.current().pid();
    List<long[]> ranges = FirstCallPages.read(pid);
    String maps = Files.readString(Path.of("/proc/" + pid + "/maps"));
    List<FirstCallPages.Mapping> code = FirstCallPages.learnable(maps).stream()
        .filter(m -> m.mask() == 1L << 63).toList();
    boolean inCode = ranges.stream().anyMatch(r -> code.stream().anyMatch(m -> m.start() <= r[0] && r[1] <= m.end()));
    assertTrue(inCode, "pages of the JVM's own code, which it runs, are among those learned");
  }
}
