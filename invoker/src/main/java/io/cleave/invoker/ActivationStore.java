package io.cleave.invoker;

import io.cleave.common.activation.Activation;
import io.cleave.common.activation.ActivationLog;
import io.cleave.common.activation.ActivationQuery;
import io.cleave.common.json.StoredJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Activation records and their bounded logs in RocksDB ({@code <data>/activations/}).
 *
 * <p>Every RocksDB access runs on one dedicated worker thread, and every read first writes what
 * was recorded before it, so a read sees earlier records. Records from calls are written in
 * batches, a few milliseconds after they arrive, off the calls' critical path.
 * Indexes keep newest-first order by storing {@code Long.MAX_VALUE - startMillis} big-endian.
 */
public final class ActivationStore implements ActivationLog, AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  /**
   * How long, how many and how many bytes of records (with their logs and index entries) are kept;
   * the oldest go first. The byte budget is enforced as records are written, age and count every
   * minute.
   */
  public record Retention(Duration maxAge, long maxRecords, long maxBytes) {}

  private record Entry(Activation activation, String logs) {}

  private static final int MAX_LIST = 1000;
  private static final long FLUSH_DELAY_MS = 5;

  private final Vertx vertx;
  private final WorkerExecutor worker;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle records;
  private final ColumnFamilyHandle logs;
  private final ColumnFamilyHandle byTime;
  private final ColumnFamilyHandle byFn;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final WriteOptions writeOptions = new WriteOptions();
  private final Retention retention;
  private final ConcurrentLinkedQueue<Entry> pending = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private volatile boolean closed;
  private final long sweepTimer;
  /** Exact record count, touched only on the worker thread. */
  private long count;
  /** Exact bytes of keys and values stored (see {@link #footprint}), touched only on the worker thread. */
  private long storedBytes;

  private ActivationStore(Vertx vertx, Path dir, Retention retention) throws Exception {
    Files.createDirectories(dir);
    this.vertx = vertx;
    this.retention = retention;
    // Small memtables and a WAL cap relative to the budget, so deleted records leave the disk soon
    // (RocksDB frees space when it flushes and compacts) rather than after 64 MB per family.
    long buffer = Math.max(1L << 20, Math.min(64L << 20, retention.maxBytes() / 16));
    this.cfOptions = new ColumnFamilyOptions().setWriteBufferSize(buffer);
    this.dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
        .setMaxTotalWalSize(Math.max(4 * buffer, retention.maxBytes() / 4));
    List<ColumnFamilyDescriptor> descriptors =
        List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
            new ColumnFamilyDescriptor(bytes("logs"), cfOptions),
            new ColumnFamilyDescriptor(bytes("by_time"), cfOptions),
            new ColumnFamilyDescriptor(bytes("by_fn"), cfOptions));
    this.handles = new ArrayList<>();
    this.db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    this.records = handles.get(0);
    this.logs = handles.get(1);
    this.byTime = handles.get(2);
    this.byFn = handles.get(3);
    try (RocksIterator it = db.newIterator(byTime)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        count++;
      }
    }
    for (ColumnFamilyHandle family : handles) {
      try (RocksIterator it = db.newIterator(family)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          storedBytes += it.key().length + it.value().length;
        }
      }
    }
    this.worker = vertx.createSharedWorkerExecutor("cleave-activations-" + dir.hashCode(), 1);
    this.sweepTimer = vertx.setPeriodic(60_000, t -> sweep());
  }

  /** Opens (creating if needed) the store; blocking, call at startup. */
  public static ActivationStore open(Vertx vertx, Path dir, Retention retention) {
    try {
      return new ActivationStore(vertx, dir, retention);
    } catch (Exception e) {
      throw new IllegalStateException("cannot open activation store at " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Queues the record for writing; never blocks the caller. A later record with the same id replaces it. */
  public void record(Activation activation, String callLogs) {
    pending.add(new Entry(activation, callLogs == null ? "" : callLogs));
    if (flushScheduled.compareAndSet(false, true)) {
      // Records arriving within the delay share one write: fewer wake-ups next to the calls.
      vertx.setTimer(FLUSH_DELAY_MS, t -> {
        if (!closed) { // a record arriving as the store closes was written by close's own flush
          worker.executeBlocking(this::flush, false);
        }
      });
    }
  }

  @Override
  public Future<List<Activation>> list(ActivationQuery query) {
    int limit = query.limit() <= 0 ? 30 : Math.min(query.limit(), MAX_LIST);
    return onWorker(() -> listNow(query.fnId(), query.since(), limit));
  }

  @Override
  public Future<Optional<Activation>> get(String id) {
    return onWorker(() -> {
      byte[] v = db.get(records, bytes(id));
      return Optional.ofNullable(v == null ? null : StoredJson.read(v, Activation.class));
    });
  }

  @Override
  public Future<Optional<String>> logs(String id) {
    return onWorker(() -> {
      byte[] v = db.get(logs, bytes(id));
      return Optional.ofNullable(v == null ? null : new String(v, StandardCharsets.UTF_8));
    });
  }

  /**
   * Writes what is recorded so far and syncs it to disk: once this completes, neither a crash nor a
   * power loss forgets those records (the detached queue relies on it before dropping a call).
   */
  public Future<Void> sync() {
    return onWorker(() -> {
      db.flushWal(true);
      return null;
    });
  }

  /** Applies retention now; completes with the number of records removed. */
  public Future<Integer> sweep() {
    return onWorker(this::sweepNow);
  }

  /** The bytes of keys and values the store holds, as its byte budget counts them. */
  Future<Long> storedBytes() {
    return onWorker(() -> storedBytes);
  }

  /** Runs on the store's worker after writing what is pending; refused once the store is closed. */
  private <T> Future<T> onWorker(java.util.concurrent.Callable<T> task) {
    return worker.executeBlocking(() -> {
      if (closed) {
        throw new io.cleave.common.error.ApiError(503, "the activation store is closed");
      }
      flush();
      return task.call();
    }, false);
  }

  private Void flush() throws RocksDBException {
    flushScheduled.set(false);
    if (closed) {
      return null;
    }
    try (WriteBatch batch = new WriteBatch()) {
      Map<String, Written> inBatch = new HashMap<>();
      Entry e;
      while ((e = pending.poll()) != null) {
        put(batch, e, inBatch);
      }
      if (!inBatch.isEmpty()) {
        db.write(writeOptions, batch);
      }
    }
    if (storedBytes > retention.maxBytes()) {
      sweepNow();
    }
    return null;
  }

  /** A record written in the current batch and the bytes it counts for. */
  private record Written(Activation activation, long bytes) {}

  private void put(WriteBatch batch, Entry e, Map<String, Written> inBatch) throws RocksDBException {
    Activation a = e.activation();
    byte[] id = bytes(a.id());
    byte[] record = StoredJson.write(a);
    byte[] log = bytes(e.logs());
    long bytes = footprint(id.length, record.length, log.length, bytes(a.fnId()).length);
    Written previous = inBatch.put(a.id(), new Written(a, bytes));
    if (previous == null) {
      byte[] stored = db.get(records, id);
      if (stored != null) {
        Activation old = StoredJson.read(stored, Activation.class);
        byte[] oldLog = db.get(logs, id);
        previous = new Written(old, footprint(id.length, stored.length, oldLog == null ? 0 : oldLog.length,
            bytes(old.fnId()).length));
      }
    }
    if (previous != null) {
      deleteIndexes(batch, previous.activation());
      storedBytes -= previous.bytes();
    } else {
      count++;
    }
    storedBytes += bytes;
    batch.put(records, id, record);
    batch.put(logs, id, log);
    batch.put(byTime, timeKey(a.start(), id), bytes(a.fnId()));
    batch.put(byFn, fnKey(a.fnId(), a.start(), id), new byte[0]);
  }

  /** Keys and values of one record: the record and its logs by id, and its two index entries. */
  private static long footprint(int id, int record, int logs, int fnId) {
    long byTimeEntry = 8 + id + fnId;
    long byFnEntry = fnId + 1 + 8 + id;
    return id + record + id + logs + byTimeEntry + byFnEntry;
  }

  private void deleteIndexes(WriteBatch batch, Activation a) throws RocksDBException {
    byte[] id = bytes(a.id());
    batch.delete(byTime, timeKey(a.start(), id));
    batch.delete(byFn, fnKey(a.fnId(), a.start(), id));
  }

  private List<Activation> listNow(String fnId, Instant since, int limit) throws RocksDBException {
    List<Activation> out = new ArrayList<>();
    byte[] prefix = fnId == null ? new byte[0] : fnPrefix(fnId);
    try (RocksIterator it = db.newIterator(fnId == null ? byTime : byFn)) {
      for (it.seek(prefix); it.isValid() && out.size() < limit; it.next()) {
        byte[] key = it.key();
        if (!startsWith(key, prefix)) {
          break;
        }
        ByteBuffer k = ByteBuffer.wrap(key, prefix.length, key.length - prefix.length);
        long startMillis = Long.MAX_VALUE - k.getLong();
        if (since != null && startMillis < since.toEpochMilli()) {
          break;
        }
        byte[] id = Arrays.copyOfRange(key, prefix.length + 8, key.length);
        byte[] v = db.get(records, id);
        if (v != null) {
          out.add(StoredJson.read(v, Activation.class));
        }
      }
    }
    return out;
  }

  /** Bytes of records swept since the last compaction; touched on the store's worker only. */
  private long droppedSinceCompaction;

  private int sweepNow() throws RocksDBException {
    long cutoff = Instant.now().minus(retention.maxAge()).toEpochMilli();
    int removed = 0;
    long removedBytes = 0;
    try (RocksIterator it = db.newIterator(byTime);
        WriteBatch batch = new WriteBatch()) {
      for (it.seekToLast(); it.isValid(); it.prev()) {
        byte[] key = it.key();
        long startMillis = Long.MAX_VALUE - ByteBuffer.wrap(key).getLong();
        if (startMillis >= cutoff && count - removed <= retention.maxRecords()
            && storedBytes - removedBytes <= retention.maxBytes()) {
          break;
        }
        byte[] id = Arrays.copyOfRange(key, 8, key.length);
        String fnId = new String(it.value(), StandardCharsets.UTF_8);
        byte[] record = db.get(records, id);
        byte[] log = db.get(logs, id);
        removedBytes += footprint(id.length, record == null ? 0 : record.length, log == null ? 0 : log.length,
            it.value().length);
        batch.delete(byTime, key);
        batch.delete(byFn, fnKey(fnId, Instant.ofEpochMilli(startMillis), id));
        batch.delete(records, id);
        batch.delete(logs, id);
        removed++;
      }
      if (removed > 0) {
        db.write(writeOptions, batch);
        count -= removed;
        storedBytes -= removedBytes;
        droppedSinceCompaction += removedBytes;
      }
    }
    // Deleted records hold their disk until a compaction rewrites their files: once a budget's
    // worth went, compact now rather than whenever RocksDB gets to it, so the disk follows the budget.
    if (droppedSinceCompaction > retention.maxBytes()) {
      db.compactRange(logs);
      db.compactRange(records);
      droppedSinceCompaction = 0;
    }
    return removed;
  }

  private static byte[] timeKey(Instant start, byte[] id) {
    return ByteBuffer.allocate(8 + id.length).putLong(Long.MAX_VALUE - start.toEpochMilli()).put(id).array();
  }

  private static byte[] fnPrefix(String fnId) {
    byte[] fn = bytes(fnId);
    return ByteBuffer.allocate(fn.length + 1).put(fn).put((byte) 0).array();
  }

  private static byte[] fnKey(String fnId, Instant start, byte[] id) {
    byte[] prefix = fnPrefix(fnId);
    return ByteBuffer.allocate(prefix.length + 8 + id.length)
        .put(prefix)
        .putLong(Long.MAX_VALUE - start.toEpochMilli())
        .put(id)
        .array();
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Writes what is pending, then closes the database (blocking). */
  @Override
  public void close() {
    vertx.cancelTimer(sweepTimer);
    try {
      worker.executeBlocking(() -> {
        flush();
        closed = true; // set on the worker: tasks after this one leave the database alone
        return null;
      }, false).await();
    } finally {
      closed = true;
      worker.close();
      handles.forEach(ColumnFamilyHandle::close);
      db.close();
      writeOptions.close();
      dbOptions.close();
      cfOptions.close();
    }
  }
}
