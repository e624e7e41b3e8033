package io.cleave.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A call's log is its slice of the instance's output, also when forkd rotated the file around the call. */
class OutputReaderTest {
  @TempDir Path dir;

  private Path output() {
    return dir.resolve("output");
  }

  /** What forkd does: copy the output to output.1 (a new file), then empty it. */
  private void rotate() throws Exception {
    Files.copy(output(), dir.resolve("output.1.part"), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(output(), "");
    Files.move(dir.resolve("output.1.part"), dir.resolve("output.1"), StandardCopyOption.REPLACE_EXISTING);
  }

  private CallRecords.OutputSlice slice(long from, long to, boolean rotatedDuring) {
    return new CallRecords.OutputSlice(output(), from, to, rotatedDuring, OutputReader.rotation(output()));
  }

  @Test
  void aSliceOfOneFile() throws Exception {
    Files.writeString(output(), "before\ncall\nafter\n");
    assertEquals("call\n", OutputReader.read(slice(7, 12, false), 1000));
  }

  @Test
  void aCallDuringWhichTheOutputRotatedReadsTheEndOfTheOldFileAndTheStartOfTheNew() throws Exception {
    Files.writeString(output(), "before\nfirst half\n");
    rotate();
    Files.writeString(output(), "second half\nnext call\n");
    assertEquals("first half\nsecond half\n", OutputReader.read(slice(7, 12, true), 1000));
  }

  @Test
  void aRotationAfterTheCallEndedIsFollowedIntoOutput1() throws Exception {
    Files.writeString(output(), "before\ncall\n");
    CallRecords.OutputSlice taken = slice(7, 12, false);
    rotate();
    Files.writeString(output(), "later calls\n");
    assertEquals("call\n", OutputReader.read(taken, 1000));
  }

  @Test
  void theLimitHoldsAcrossBothFilesWithAMarker() throws Exception {
    Files.writeString(output(), "before\nfirst half\n");
    rotate();
    Files.writeString(output(), "second half\n");
    assertEquals("first half\nsec\n[cleave: output truncated, 9 more bytes]\n",
        OutputReader.read(slice(7, 12, true), 14));
  }
}
