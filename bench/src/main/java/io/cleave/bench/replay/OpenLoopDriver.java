package io.cleave.bench.replay;

import io.cleave.bench.replay.CallRecord.Outcome;
import io.cleave.client.TimedCalls;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Sends a schedule's calls at their times whatever the answers' latency (open loop), so queueing
 * in the platform shows up as latency instead of slowing the load down. A call's latency runs
 * from the moment it leaves to its complete answer; how late it left (the generator's own delay
 * on a busy machine, not the platform's) is recorded apart as the send lag. At most
 * {@code maxInFlight} calls are outstanding; a call due while the bound is reached is recorded as
 * dropped and the schedule goes on. With several gateways (a cluster's nodes) the calls go to them
 * in turn, in schedule order, so every node gets an even share of the baseline and of the burst.
 * Everything runs on one event-loop context.
 */
final class OpenLoopDriver {
  private final Vertx vertx;
  private final List<TimedCalls> gateways;
  private final List<DeployedFunction> functions;
  private final List<PlannedCall> planned;
  private final long lengthMicros;
  private final Function<PlannedCall, Buffer> body;
  private final int maxInFlight;
  private final long timeoutMs;
  private final ProgressLine progress;

  private final CallRecord[] records;
  private final Promise<List<CallRecord>> done = Promise.promise();
  private long startNanos;
  private int next;
  private int inFlight;
  private int answered;
  private int ok;
  private int errors;
  private int dropped;
  private long progressTimer = -1;

  OpenLoopDriver(Vertx vertx, List<TimedCalls> gateways, List<DeployedFunction> functions, Schedule schedule,
      Function<PlannedCall, Buffer> body, int maxInFlight, long timeoutMs, ProgressLine progress) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("the in-flight bound must be at least 1");
    }
    if (gateways.isEmpty()) {
      throw new IllegalArgumentException("no gateway to send calls to");
    }
    this.vertx = vertx;
    this.gateways = List.copyOf(gateways);
    this.functions = functions;
    this.planned = schedule.calls();
    this.lengthMicros = schedule.lengthMicros();
    this.body = body;
    this.maxInFlight = maxInFlight;
    this.timeoutMs = timeoutMs;
    this.progress = progress;
    this.records = new CallRecord[planned.size()];
  }

  /**
   * Starts sending, with schedule time 0 at {@code originNanos} ({@link System#nanoTime()}); the
   * future completes once every call is answered or dropped.
   */
  Future<List<CallRecord>> run(long originNanos) {
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      startNanos = originNanos;
      if (progress != null) {
        progressTimer = vertx.setPeriodic(500, id -> showProgress(false));
      }
      pump();
    });
    return done.future();
  }

  private long elapsedMicros() {
    return (System.nanoTime() - startNanos) / 1000;
  }

  private void pump() {
    long now = elapsedMicros();
    while (next < planned.size() && planned.get(next).atMicros() <= now) {
      send(next++, now);
    }
    if (next < planned.size()) {
      long waitMs = Math.max(1, (planned.get(next).atMicros() - elapsedMicros()) / 1000);
      vertx.setTimer(waitMs, id -> pump());
    } else {
      maybeFinish();
    }
  }

  private void send(int index, long nowMicros) {
    PlannedCall call = planned.get(index);
    if (inFlight >= maxInFlight) {
      dropped++;
      answered++;
      records[index] = new CallRecord(call.atMicros(), 0, call.function(), call.minute(), Double.NaN, 0, Outcome.DROPPED, "", "",
          "over the in-flight bound of " + maxInFlight);
      return;
    }
    inFlight++;
    long lag = nowMicros - call.atMicros();
    long sentNanos = System.nanoTime();
    DeployedFunction fn = functions.get(call.function());
    gateways.get(index % gateways.size()).invoke(fn.fnId(), body.apply(call), timeoutMs)
        .onComplete(ar -> {
          inFlight--;
          answered++;
          if (ar.succeeded()) {
            TimedCalls.Answer a = ar.result();
            if (a.ok()) {
              ok++;
            } else {
              errors++;
            }
            records[index] = new CallRecord(call.atMicros(), lag, call.function(), call.minute(), a.latencyMs(), a.status(),
                a.ok() ? Outcome.OK : Outcome.ERROR, orEmpty(a.startMode()), orEmpty(a.callId()),
                a.ok() ? "" : oneLine(a.failure()));
          } else {
            errors++;
            records[index] = new CallRecord(call.atMicros(), lag, call.function(), call.minute(),
                (System.nanoTime() - sentNanos) / 1e6, 0, Outcome.ERROR, "", "", oneLine(String.valueOf(ar.cause().getMessage())));
          }
          maybeFinish();
        });
  }

  private void maybeFinish() {
    if (next == planned.size() && answered == planned.size() && !done.future().isComplete()) {
      if (progressTimer >= 0) {
        vertx.cancelTimer(progressTimer);
      }
      if (progress != null) {
        showProgress(true);
        progress.finish();
      }
      done.complete(Arrays.asList(records));
    }
  }

  private void showProgress(boolean force) {
    progress.show(force, elapsedMicros(), lengthMicros, next - dropped, planned.size(), ok, errors, dropped, inFlight);
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  private static String oneLine(String s) {
    String t = s.replaceAll("[\\r\\n,]+", " ").trim();
    return t.length() > 160 ? t.substring(0, 160) : t;
  }
}
