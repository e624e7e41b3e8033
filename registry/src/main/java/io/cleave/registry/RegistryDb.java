package io.cleave.registry;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteOptions;

/**
 * The registry's durable copy: one RocksDB with a column family per registry map. Every write is
 * synced to the WAL before it returns, so an acknowledged API write survives a crash.
 *
 * <p>Damage stops the start instead of shrinking the registry: paranoid checks, a WAL replayed
 * whole or not at all (RocksDB's default recovery stops at a damaged record and drops every
 * acknowledged write after it), every table's checksums verified at open, and scans that fail
 * loudly where an iterator would simply end early. The one exception is a record cut short at the
 * WAL's very end: a {@code kill -9} in the middle of a write leaves it, and that write was never
 * acknowledged (a synced write returns only once its whole record is in the file).
 */
public final class RegistryDb implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private final RocksDB db;
  private final DBOptions options;
  private final ColumnFamilyOptions familyOptions;
  private final WriteOptions syncWrites;
  private final WriteOptions plainWrites = new WriteOptions();
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final Map<String, ColumnFamilyHandle> families = new HashMap<>();

  public RegistryDb(Path dir, List<String> familyNames) {
    try {
      Files.createDirectories(dir);
      options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
          .setParanoidChecks(true).setWalRecoveryMode(WALRecoveryMode.TolerateCorruptedTailRecords);
      familyOptions = new ColumnFamilyOptions();
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions));
      for (String name : familyNames) {
        descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), familyOptions));
      }
      db = RocksDB.open(options, dir.toString(), descriptors, handles);
      try {
        db.verifyChecksum();
      } catch (RocksDBException e) {
        for (ColumnFamilyHandle h : handles) {
          h.close();
        }
        db.close();
        throw e;
      }
      for (int i = 0; i < familyNames.size(); i++) {
        families.put(familyNames.get(i), handles.get(i + 1));
      }
      syncWrites = new WriteOptions().setSync(true);
    } catch (RocksDBException e) {
      String why = e.getMessage() != null && e.getMessage().contains("LOCK")
          ? "another Cleave server is using this data directory" : e.getMessage();
      if (damaged(e)) {
        why = "it is damaged (" + e.getMessage() + "); the server does not start on a partial registry."
            + " Restore the directory from a backup, or move it away and let this member copy the registry"
            + " from the running cluster";
      }
      throw new IllegalStateException("cannot open the registry database in " + dir + ": " + why, e);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot open the registry database in " + dir + ": " + e.getMessage(), e);
    }
  }

  private ColumnFamilyHandle family(String name) {
    ColumnFamilyHandle h = families.get(name);
    if (h == null) {
      throw new IllegalArgumentException("no registry map " + name);
    }
    return h;
  }

  public void put(String family, String key, byte[] value) {
    try {
      db.put(family(family), syncWrites, key.getBytes(StandardCharsets.UTF_8), value);
    } catch (RocksDBException e) {
      throw new IllegalStateException("registry write failed: " + e.getMessage(), e);
    }
  }

  /** A write that reaches the WAL but is not synced: for copies whose durability another member owns. */
  public void putUnsynced(String family, String key, byte[] value) {
    try {
      db.put(family(family), plainWrites, key.getBytes(StandardCharsets.UTF_8), value);
    } catch (RocksDBException e) {
      throw new IllegalStateException("registry write failed: " + e.getMessage(), e);
    }
  }

  public void deleteUnsynced(String family, String key) {
    try {
      db.delete(family(family), plainWrites, key.getBytes(StandardCharsets.UTF_8));
    } catch (RocksDBException e) {
      throw new IllegalStateException("registry delete failed: " + e.getMessage(), e);
    }
  }

  public void delete(String family, String key) {
    try {
      db.delete(family(family), syncWrites, key.getBytes(StandardCharsets.UTF_8));
    } catch (RocksDBException e) {
      throw new IllegalStateException("registry delete failed: " + e.getMessage(), e);
    }
  }

  public byte[] get(String family, String key) {
    try {
      return db.get(family(family), key.getBytes(StandardCharsets.UTF_8));
    } catch (RocksDBException e) {
      throw new IllegalStateException("registry read failed: " + e.getMessage(), e);
    }
  }

  /** Every key of the map; a scan cut short by damage throws instead of answering part of them. */
  public List<String> keys(String family) {
    List<String> keys = new ArrayList<>();
    try (RocksIterator it = db.newIterator(family(family))) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        keys.add(new String(it.key(), StandardCharsets.UTF_8));
      }
      it.status();
    } catch (RocksDBException e) {
      throw new IllegalStateException("registry scan of " + family + " failed: " + e.getMessage(), e);
    }
    return keys;
  }

  private static boolean damaged(RocksDBException e) {
    return e.getStatus() != null && (e.getStatus().getCode() == Status.Code.Corruption
        || e.getStatus().getCode() == Status.Code.IOError && e.getMessage() != null
            && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("corrupt"));
  }

  @Override
  public synchronized void close() {
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    handles.clear();
    db.close();
    syncWrites.close();
    plainWrites.close();
    familyOptions.close();
    options.close();
  }
}
