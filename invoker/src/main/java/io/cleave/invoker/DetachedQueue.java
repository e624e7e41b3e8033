package io.cleave.invoker;

import io.cleave.common.error.ApiError;
import io.cleave.common.error.CallNotDelivered;
import io.cleave.common.invoke.Call;
import io.cleave.common.json.StoredJson;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteOptions;

/**
 * The durable queue of detached calls ({@code <data>/queue/}). A call is on disk (synced) before
 * {@link #add} completes; it is removed once it has run, whatever its outcome. At startup, calls
 * left by a previous run are resumed. A call that was running when the process stopped runs again
 * (at-least-once across crashes); a clean {@link #close} lets running calls finish first, so each
 * call runs once across a clean restart. A call refused for lack of capacity (503), or forwarded to
 * a member that it never reached or that died with it ({@link CallNotDelivered}), stays queued and
 * is retried, since nothing says it completed. The runner is what turns at-least-once into once:
 * it skips calls whose run is recorded (see {@link NodeInvoker#resumeDetached}).
 *
 * <p>Queue state lives on one Vert.x context; RocksDB work runs on one worker thread, in order
 * (RocksDB groups concurrent synced writes anyway, and one thread makes shutdown ordering simple).
 */
public final class DetachedQueue implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private static final long RETRY_DELAY_MS = 1000;

  private final Vertx vertx;
  private final Context context;
  private final WorkerExecutor worker;
  private final Options options;
  private final RocksDB db;
  private final WriteOptions syncWrite = new WriteOptions().setSync(true);
  private final WriteOptions plainWrite = new WriteOptions();
  private final AtomicLong sequence;
  private final int parallelism;
  private final ArrayDeque<byte[]> waiting = new ArrayDeque<>();
  private Function<Call, Future<?>> runner;
  private int running;
  private int delayed;
  /** waiting + running + delayed, published for other threads (metrics). */
  private volatile int depth;
  private volatile boolean closing;
  private Promise<Void> drained;

  private DetachedQueue(Vertx vertx, Path dir, int parallelism) throws Exception {
    Files.createDirectories(dir);
    this.vertx = vertx;
    this.parallelism = parallelism;
    // Accepted calls are acknowledged writes: a damaged WAL or table stops the start rather than
    // silently dropping the calls after the damage (RocksDB's default recovery would). Only a
    // record cut short at the WAL's end is dropped: a kill -9 mid-write, never acknowledged.
    this.options = new Options().setCreateIfMissing(true).setParanoidChecks(true)
        .setWalRecoveryMode(WALRecoveryMode.TolerateCorruptedTailRecords);
    this.db = RocksDB.open(options, dir.toString());
    long last = 0;
    try (RocksIterator it = db.newIterator()) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        waiting.add(it.key());
        last = ByteBuffer.wrap(it.key()).getLong();
      }
      it.status();
    } catch (RocksDBException e) {
      db.close();
      throw e;
    }
    this.sequence = new AtomicLong(last);
    this.depth = waiting.size();
    this.context = vertx.getOrCreateContext();
    this.worker = vertx.createSharedWorkerExecutor("cleave-queue-" + dir.hashCode(), 1);
  }

  /** Opens the queue; calls found on disk wait for {@link #start}. Blocking, call at startup. */
  public static DetachedQueue open(Vertx vertx, Path dir, int parallelism) {
    try {
      return new DetachedQueue(vertx, dir, Math.max(1, parallelism));
    } catch (Exception e) {
      throw new IllegalStateException("cannot open detached queue at " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Starts consuming: each queued call is handed to {@code runner} at most {@code parallelism} at a time. */
  public void start(Function<Call, Future<?>> runner) {
    context.runOnContext(
        v -> {
          this.runner = runner;
          pump();
        });
  }

  /** Persists the call (fsync) and schedules it; completes once it is on disk. */
  public Future<Void> add(Call call) {
    if (closing) {
      return Future.failedFuture(new ApiError(503, "the node is shutting down", 1));
    }
    byte[] id = call.id().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] key = ByteBuffer.allocate(8 + id.length).putLong(sequence.incrementAndGet()).put(id).array();
    byte[] value = StoredJson.write(call);
    return worker
        .<Void>executeBlocking(
            () -> {
              db.put(syncWrite, key, value);
              return null;
            },
            false)
        .recover(e -> Future.failedFuture(new ApiError(500, "cannot queue the call: " + e.getMessage())))
        .compose(
            v -> {
              Promise<Void> queued = Promise.promise();
              context.runOnContext(
                  x -> {
                    waiting.add(key);
                    depth = waiting.size() + running + delayed;
                    queued.complete();
                    pump();
                  });
              return queued.future();
            });
  }

  /** Calls stored and not yet finished (waiting or running). */
  public int depth() {
    return depth;
  }

  private void pump() {
    while (runner != null && !closing && running < parallelism && !waiting.isEmpty()) {
      byte[] key = waiting.poll();
      running++;
      worker
          .executeBlocking(() -> db.get(key), false)
          .compose(
              value ->
                  value == null
                      ? Future.succeededFuture(Boolean.TRUE)
                      : runOnce(StoredJson.read(value, Call.class)))
          .onComplete(
              done ->
                  context.runOnContext(
                      v -> finished(key, done.succeeded() ? done.result() : Boolean.TRUE)));
    }
  }

  /** Runs the call; completes with false when it must stay queued (it did not run). */
  private Future<Boolean> runOnce(Call call) {
    Future<?> result;
    try {
      result = runner.apply(call);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.transform(ar -> Future.succeededFuture(ar.succeeded() || !didNotRun(ar.cause())));
  }

  private static boolean didNotRun(Throwable failure) {
    return failure instanceof CallNotDelivered || failure instanceof ApiError e && e.status() == 503;
  }

  private void finished(byte[] key, boolean ran) {
    if (ran) {
      worker
          .executeBlocking(
              () -> {
                db.delete(plainWrite, key);
                return null;
              },
              false)
          .onComplete(d -> context.runOnContext(v -> release()));
      return;
    }
    if (!closing) {
      delayed++;
      vertx.setTimer(
          RETRY_DELAY_MS,
          t ->
              context.runOnContext(
                  v -> {
                    delayed--;
                    waiting.addFirst(key);
                    pump();
                  }));
    }
    release();
  }

  private void release() {
    running--;
    depth = waiting.size() + running + delayed;
    if (closing && running == 0 && drained != null) {
      drained.tryComplete();
    }
    pump();
  }

  /** Stops taking calls, lets running ones finish (bounded wait), then closes the database. Blocking. */
  @Override
  public void close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          closing = true;
          drained = done;
          if (running == 0) {
            done.tryComplete();
          }
        });
    try {
      done.future().await(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // Calls still running are left on disk and run again at the next start (at-least-once).
    }
    // One worker thread runs tasks in order: once this no-op ran, no task still uses the database.
    worker.executeBlocking(() -> null, false).await();
    worker.close();
    db.close();
    syncWrite.close();
    plainWrite.close();
    options.close();
  }

}
