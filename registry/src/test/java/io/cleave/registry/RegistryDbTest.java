package io.cleave.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;

/** The registry's RocksDB copy refuses to start on damage instead of answering part of the registry. */
class RegistryDbTest {
  private static final List<String> FAMILIES = List.of("apps", "fns");
  @TempDir Path dir;

  private static String value(int i) {
    return "{\"name\": \"app-" + i + "\", \"padding\": \"" + "x".repeat(200) + "\"}";
  }

  private void writeApps(int n) {
    try (RegistryDb db = new RegistryDb(dir, FAMILIES)) {
      for (int i = 0; i < n; i++) {
        db.put("apps", "app-" + i, value(i).getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  /** Flips one bit in the middle of the newest file whose name ends with {@code suffix}. */
  private Path flipABit(String suffix) throws IOException {
    Path file;
    try (Stream<Path> files = Files.list(dir)) {
      file = files.filter(p -> p.getFileName().toString().endsWith(suffix))
          .max((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).orElseThrow();
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      long at = f.length() / 2;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x10);
    }
    return file;
  }

  @Test
  void aWholeCopyOpensWithEveryKey() {
    writeApps(300);
    try (RegistryDb db = new RegistryDb(dir, FAMILIES)) {
      assertEquals(300, db.keys("apps").size());
    }
  }

  @Test
  void aDamagedWalStopsTheStartInsteadOfDroppingAcknowledgedWrites() throws Exception {
    writeApps(300);
    flipABit(".log");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new RegistryDb(dir, FAMILIES).close());
    assertTrue(e.getMessage().contains("cannot open the registry database in " + dir), e.getMessage());
    assertTrue(e.getMessage().contains("damaged"), e.getMessage());
  }

  @Test
  void aRecordCutShortAtTheWalsEndIsDroppedAndEveryWholeOneKept() throws Exception {
    // A kill -9 in the middle of a write: the last record is partly in the file, never acknowledged.
    writeApps(300);
    Path wal;
    try (Stream<Path> files = Files.list(dir)) {
      wal = files.filter(p -> p.getFileName().toString().endsWith(".log"))
          .max((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).orElseThrow();
    }
    try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
      f.setLength(f.length() - 5);
    }
    try (RegistryDb db = new RegistryDb(dir, FAMILIES)) {
      assertEquals(299, db.keys("apps").size());
    }
  }

  @Test
  void aDamagedTableFileStopsTheStartAndIsNamed() throws Exception {
    writeApps(300);
    flushToTables();
    Path sst = flipABit(".sst");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new RegistryDb(dir, FAMILIES).close());
    assertTrue(e.getMessage().contains("damaged"), e.getMessage());
    assertTrue(e.getMessage().contains(sst.getFileName().toString().replace(".sst", "")), e.getMessage());
  }

  /** Moves the WAL's content into table files, as RocksDB does on its own once memtables fill. */
  private void flushToTables() throws Exception {
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
    for (String f : FAMILIES) {
      descriptors.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8)));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions options = new DBOptions();
        RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles);
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      db.flush(flush, handles);
      handles.forEach(ColumnFamilyHandle::close);
    }
  }
}
