package io.cleave.invoker;

import io.cleave.common.activation.Activation;
import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.model.StartMode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Call recording: each call's activation, with its slice of the instance's output, handed to the
 * store and counted in the metrics. A record still being assembled is waited for by readers, so a
 * caller that reads its own activation right after the answer finds it. Touched only on the
 * invoker's loop.
 */
final class CallRecords {
  /**
   * How a call got its instance: the start mode it reports, the instance's start cost (0 when
   * warm), why it got no faster start (or null), and how long it waited.
   */
  record Placed(StartMode mode, long initMs, String startNote, String seedNode, long waitMs) {}

  /**
   * Where a call's output lies in its instance's output file; {@code to} is -1 when unknown.
   * {@code rotatedDuring}: forkd rotated the file since {@code from} was taken, so the slice
   * starts in output.1; {@code rotation} is output.1's file key when the slice was taken.
   */
  record OutputSlice(Path output, long from, long to, boolean rotatedDuring, Object rotation) {}

  private final Vertx vertx;
  private final InvokerLoop loop;
  private final ActivationStore store;
  private final InvokerMetrics metrics;
  private final String node;
  private final int logLimitBytes;
  /** Activations whose record is being assembled (logs read); readers wait for them. */
  private final Map<String, Promise<Void>> unrecorded = new HashMap<>();

  CallRecords(Vertx vertx, InvokerLoop loop, ActivationStore store, InvokerMetrics metrics, String node,
      int logLimitBytes) {
    this.vertx = vertx;
    this.loop = loop;
    this.store = store;
    this.metrics = metrics;
    this.node = node;
    this.logLimitBytes = logLimitBytes;
  }

  /** Completes once the activation with this id (if being assembled) is handed to the store. */
  Future<Void> recorded(String id) {
    Promise<Void> p = unrecorded.get(id);
    return p == null ? Future.succeededFuture() : p.future();
  }

  /** Completes once every activation being assembled now is handed to the store. */
  Future<Void> allRecorded() {
    List<Future<Void>> all = new ArrayList<>();
    unrecorded.values().forEach(p -> all.add(p.future()));
    return Future.all(all).mapEmpty();
  }

  /**
   * The call ended on the instance (answered, timed out or broke): its output ends where the
   * instance's output file ends now (the runtime writes unbuffered, so what the call printed is
   * there before its answer, and the next call on this instance has not started). Readers of the
   * call's activation wait from now on.
   */
  OutputSlice ended(Call call, Instance instance) {
    unrecorded.put(call.id(), Promise.promise());
    long from = instance.logOffset;
    long to = outputSize(instance.output);
    Object rotation = OutputReader.rotation(instance.output);
    boolean rotatedDuring = !java.util.Objects.equals(rotation, instance.outputRotation);
    instance.outputRotation = rotation;
    instance.logOffset = rotatedDuring ? Math.max(0, to) : Math.max(from, to);
    return new OutputSlice(instance.output, from, to, rotatedDuring, rotation);
  }

  /** Records a call that ran; completes once its output slice was read (the instance may go then). */
  Future<Void> ran(Pending pending, Placed placed, CallEnd end, OutputSlice slice) {
    Instant finished = Instant.now();
    long durationNanos = System.nanoTime() - pending.arrivedNanos;
    Call call = pending.call;
    metrics.invocation(call.fn().id(), end.status(), placed.mode(), durationNanos);
    Instant start = call.receivedAt() == null ? finished.minusNanos(durationNanos) : call.receivedAt();
    Activation activation = new Activation(call.id(), call.fn().appId(), call.fn().id(), node, placed.mode(),
        end.status(), end.httpStatus(), start, finished, TimeUnit.NANOSECONDS.toMillis(durationNanos),
        placed.waitMs(), placed.initMs(), end.responseSize(), end.message(), placed.startNote(), placed.seedNode());
    Future<String> logs = readOutput(slice);
    return logs.transform(l -> {
      store.record(activation, l.succeeded() ? l.result()
          : "[cleave: output unavailable: " + Causes.message(l.cause()) + "]\n");
      Promise<Void> recorded = unrecorded.remove(call.id());
      if (recorded != null) {
        recorded.complete();
      }
      return Future.<Void>succeededFuture();
    });
  }

  /** Records a call refused before it ran (no capacity in time, function too large): it waited all along. */
  void refused(Pending p, ApiError error) {
    notRun(p, "rejected", error, true);
  }

  /** Records a call whose instance could not be started. */
  void startFailed(Pending p, ApiError error) {
    notRun(p, "error", error, false);
  }

  private void notRun(Pending p, String status, ApiError error, boolean waited) {
    metrics.invocation(p.call.fn().id(), status, null, System.nanoTime() - p.arrivedNanos);
    Instant now = Instant.now();
    Call c = p.call;
    Instant start = c.receivedAt() == null ? now : c.receivedAt();
    long ms = Math.max(0, now.toEpochMilli() - start.toEpochMilli());
    store.record(new Activation(c.id(), c.fn().appId(), c.fn().id(), node, null, status, error.status(), start, now,
        ms, waited ? ms : 0, 0, 0, error.getMessage(), null, null), "");
  }

  /**
   * The size of the instance's output file. A stat of a local file: it never waits on a device,
   * so it is done right here, where the call's boundary is known, instead of on a worker.
   */
  private static long outputSize(Path output) {
    try {
      return output == null ? -1 : Files.size(output);
    } catch (IOException e) {
      return -1;
    }
  }

  /** The call's slice of the output, read on a worker, bounded to the per-call limit with a marker. */
  private Future<String> readOutput(OutputSlice slice) {
    Path output = slice.output();
    long from = slice.from();
    long to = slice.to();
    if (output == null || to < 0) {
      return Future.succeededFuture("[cleave: output unavailable]\n");
    }
    if (to == from && !slice.rotatedDuring()) {
      return Future.succeededFuture("");
    }
    int limit = logLimitBytes;
    return loop.here(vertx.executeBlocking(() -> OutputReader.read(slice, limit), false));
  }
}
