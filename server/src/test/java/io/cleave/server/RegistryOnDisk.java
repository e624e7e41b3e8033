package io.cleave.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * A member's own copy of the registry as it is on its disk ({@code <data>/registry}, one RocksDB
 * column family per registry map), read through a read-only open that the running member allows.
 */
final class RegistryOnDisk {
  static {
    RocksDB.loadLibrary();
  }

  private RegistryOnDisk() {}

  /** The keys of one registry map ({@code apps}, {@code app-names}, ...) in the member's files now. */
  static Set<String> keys(Path dataDir, String map) {
    String dir = dataDir.resolve("registry").toString();
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (Options options = new Options(); DBOptions dbOptions = new DBOptions()) {
      List<ColumnFamilyDescriptor> families = new ArrayList<>();
      int wanted = -1;
      for (byte[] name : RocksDB.listColumnFamilies(options, dir)) {
        if (Arrays.equals(name, map.getBytes(StandardCharsets.UTF_8))) {
          wanted = families.size();
        }
        families.add(new ColumnFamilyDescriptor(name));
      }
      if (wanted < 0) {
        throw new AssertionError("no registry map " + map + " in " + dir);
      }
      try (RocksDB db = RocksDB.openReadOnly(dbOptions, dir, families, handles);
          RocksIterator it = db.newIterator(handles.get(wanted))) {
        Set<String> keys = new HashSet<>();
        for (it.seekToFirst(); it.isValid(); it.next()) {
          keys.add(new String(it.key(), StandardCharsets.UTF_8));
        }
        return keys;
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot read the registry copy in " + dir + ": " + e.getMessage(), e);
    }
  }
}
