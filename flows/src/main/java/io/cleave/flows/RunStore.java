package io.cleave.flows;

import io.cleave.common.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The runs of this node on disk ({@code <data>/flows}, RocksDB): a record per run ({@code r/<run>})
 * and per step call ({@code c/<run>/<step>/<item>}). Every write is synced before it returns, so
 * a transition the engine acts on or acknowledges survives {@code kill -9}; the WAL is replayed
 * whole or not at all. Blocking: call from worker threads (or at start-up); {@link RunWriter}
 * orders and groups the writes.
 */
final class RunStore implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private final Options options;
  private final WriteOptions synced;
  private final RocksDB db;
  /** Writes and scans hold it shared, close exclusively: nothing touches the database after it closed. */
  private final java.util.concurrent.locks.ReadWriteLock lock = new java.util.concurrent.locks.ReentrantReadWriteLock();
  private boolean closed;

  RunStore(Path dir) {
    try {
      Files.createDirectories(dir);
      options = new Options().setCreateIfMissing(true).setParanoidChecks(true)
          .setWalRecoveryMode(WALRecoveryMode.TolerateCorruptedTailRecords);
      synced = new WriteOptions().setSync(true);
      db = RocksDB.open(options, dir.toString());
    } catch (RocksDBException | java.io.IOException e) {
      String why = e.getMessage() != null && e.getMessage().contains("LOCK")
          ? "another Cleave server is using this data directory" : e.getMessage();
      throw new IllegalStateException("cannot open the flow runs database in " + dir + ": " + why, e);
    }
  }

  /**
   * A record to store: its key and value, an immutable {@link StoredRun} or {@link StoredItem}
   * serialised by the writer's thread (off the engine's event loop, which starts the calls).
   */
  record Entry(String key, Object value) {}

  static Entry entry(StoredRun run) {
    return new Entry("r/" + run.id(), run);
  }

  static Entry entry(String runId, StoredItem item) {
    return new Entry("c/" + runId + "/" + item.step() + "/" + item.item(), item);
  }

  List<StoredRun> runs() {
    List<StoredRun> out = new ArrayList<>();
    scan("r/", bytes -> out.add(RunJson.read(bytes, StoredRun.class)));
    return out;
  }

  List<StoredItem> items(String runId) {
    List<StoredItem> out = new ArrayList<>();
    scan("c/" + runId + "/", bytes -> out.add(RunJson.read(bytes, StoredItem.class)));
    return out;
  }

  /** Stores the entries together (all or none), synced. */
  void write(List<Entry> entries) {
    lock.readLock().lock();
    try (WriteBatch batch = new WriteBatch()) {
      open();
      for (Entry e : entries) {
        batch.put(e.key().getBytes(StandardCharsets.UTF_8), Json.toBytes(e.value()));
      }
      db.write(synced, batch);
    } catch (RocksDBException | java.io.UncheckedIOException e) {
      throw new IllegalStateException("flow run write failed: " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  private void open() {
    if (closed) {
      throw new IllegalStateException("the server is stopping: flow runs are no longer stored");
    }
  }

  /** Every value under {@code prefix}; a scan cut short by damage throws instead of answering part. */
  private void scan(String prefix, java.util.function.Consumer<byte[]> each) {
    byte[] from = prefix.getBytes(StandardCharsets.UTF_8);
    lock.readLock().lock();
    try {
      open();
      try (RocksIterator it = db.newIterator()) {
        for (it.seek(from); it.isValid() && startsWith(it.key(), from); it.next()) {
          each.accept(it.value());
        }
        it.status();
      }
    } catch (RocksDBException e) {
      throw new IllegalStateException("flow run scan failed: " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    if (key.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (key[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      lock.writeLock().unlock();
    }
    db.close();
    synced.close();
    options.close();
  }
}
