package io.cleave.fdk.java;

import com.fnproject.fn.api.Headers;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Answers 504 {"message":"function timed out"} for a call still running (or still waiting for its
 * instance's call slot) at its Fn-Deadline, closes the connection and interrupts the call's
 * thread. Whichever of the call and the watch answers first answers alone.
 */
final class DeadlineWatch extends TimerTask {
  static final String TIMED_OUT_BODY = "{\"message\":\"function timed out\"}";
  private static Timer timer;

  private final SocketChannel channel;
  private final OutputStream out;
  private final AtomicBoolean answered;
  private final Thread worker;
  private final String callId;

  private DeadlineWatch(SocketChannel channel, OutputStream out, AtomicBoolean answered, Thread worker, String callId) {
    this.channel = channel;
    this.out = out;
    this.answered = answered;
    this.worker = worker;
    this.callId = callId;
  }

  /** Watches the calling thread's call until cancelled; one timer thread serves every instance. */
  static DeadlineWatch start(long delayMillis, SocketChannel channel, OutputStream out, AtomicBoolean answered, String callId) {
    DeadlineWatch watch = new DeadlineWatch(channel, out, answered, Thread.currentThread(), callId);
    timer().schedule(watch, Math.max(0, delayMillis));
    return watch;
  }

  private static synchronized Timer timer() {
    if (timer == null) {
      timer = new Timer("fn-deadlines", true);
    }
    return timer;
  }

  @Override
  public void run() {
    if (!answered.compareAndSet(false, true)) {
      return;
    }
    System.err.println("cleave-fdk-java: call " + callId + " ran past its deadline: answered 504 and interrupted");
    try {
      HttpExchange.write(out, 504, Headers.emptyHeaders().setHeader("Content-Type", "application/json"),
          TIMED_OUT_BODY.getBytes(StandardCharsets.UTF_8), false);
      channel.shutdownOutput();
    } catch (IOException e) {
      // the platform went away: nobody to answer
    }
    worker.interrupt();
  }
}
