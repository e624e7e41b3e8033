package io.cleave.bench.replay;

import io.cleave.bench.replay.CallRecord.Outcome;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Sends a schedule's calls at their times whatever the answers' latency (open loop), so queueing
 * in the platform shows up as latency instead of slowing the load down. A call's latency runs
 * from the moment it leaves to its complete answer; how late it left (the generator's own delay
 * on a busy machine, not the platform's) is recorded apart as the send lag. At most
 * {@code maxInFlight} calls are outstanding; a call due while the bound is reached is recorded as
 * dropped and the schedule goes on. Everything runs on one event-loop context.
 */
final class OpenLoopDriver {
  /** Header the gateway sets on every invoke answer. */
  static final String START_MODE_HEADER = "Cleave-Start-Mode";
  static final String CALL_ID_HEADER = "Fn-Call-Id";

  private final Vertx vertx;
  private final PlatformClient client;
  private final List<DeployedFunction> functions;
  private final List<PlannedCall> calls;
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

  OpenLoopDriver(Vertx vertx, PlatformClient client, List<DeployedFunction> functions, Schedule schedule,
      Function<PlannedCall, Buffer> body, int maxInFlight, long timeoutMs, ProgressLine progress) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("the in-flight bound must be at least 1");
    }
    this.vertx = vertx;
    this.client = client;
    this.functions = functions;
    this.calls = schedule.calls();
    this.lengthMicros = schedule.lengthMicros();
    this.body = body;
    this.maxInFlight = maxInFlight;
    this.timeoutMs = timeoutMs;
    this.progress = progress;
    this.records = new CallRecord[calls.size()];
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
    while (next < calls.size() && calls.get(next).atMicros() <= now) {
      send(next++, now);
    }
    if (next < calls.size()) {
      long waitMs = Math.max(1, (calls.get(next).atMicros() - elapsedMicros()) / 1000);
      vertx.setTimer(waitMs, id -> pump());
    } else {
      maybeFinish();
    }
  }

  private void send(int index, long nowMicros) {
    PlannedCall call = calls.get(index);
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
    client.request(HttpMethod.POST, "/invoke/" + fn.fnId())
        .putHeader("Content-Type", "application/json")
        .timeout(timeoutMs)
        .sendBuffer(body.apply(call))
        .onComplete(ar -> {
          inFlight--;
          answered++;
          double latencyMs = (System.nanoTime() - sentNanos) / 1e6;
          if (ar.succeeded()) {
            HttpResponse<Buffer> r = ar.result();
            boolean success = r.statusCode() / 100 == 2;
            if (success) {
              ok++;
            } else {
              errors++;
            }
            records[index] = new CallRecord(call.atMicros(), lag, call.function(), call.minute(), latencyMs, r.statusCode(),
                success ? Outcome.OK : Outcome.ERROR, orEmpty(r.getHeader(START_MODE_HEADER)), orEmpty(r.getHeader(CALL_ID_HEADER)),
                success ? "" : oneLine(PlatformClient.message(r)));
          } else {
            errors++;
            records[index] = new CallRecord(call.atMicros(), lag, call.function(), call.minute(), latencyMs, 0, Outcome.ERROR, "", "",
                oneLine(String.valueOf(ar.cause().getMessage())));
          }
          maybeFinish();
        });
  }

  private void maybeFinish() {
    if (next == calls.size() && answered == calls.size() && !done.future().isComplete()) {
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
    progress.show(force, elapsedMicros(), lengthMicros, next - dropped, calls.size(), ok, errors, dropped, inFlight);
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  private static String oneLine(String s) {
    String t = s.replaceAll("[\\r\\n,]+", " ").trim();
    return t.length() > 160 ? t.substring(0, 160) : t;
  }
}
