package io.cleave.server;

import io.cleave.common.http.Http;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;

/**
 * Writers that keep writing to a server until it is killed, handing each acknowledged (200) reply
 * to the test. A write may fail only once the test has said it is killing the server: a failure
 * before that, or any answer that is not an acknowledgement, fails the test.
 */
final class WritesUntilKill {
  private final AtomicBoolean killing = new AtomicBoolean();
  private final AtomicReference<String> failure = new AtomicReference<>();
  private final List<Thread> threads = new ArrayList<>();

  /** Starts a thread writing {@code write(0)}, {@code write(1)}, ... until one fails. */
  void start(String name, IntFunction<Http.Reply> write, BiConsumer<Integer, Http.Reply> acked) {
    Thread t = new Thread(() -> {
      for (int i = 0; ; i++) {
        Http.Reply r;
        try {
          r = write.apply(i);
        } catch (RuntimeException e) {
          if (!killing.get()) {
            failure.compareAndSet(null, name + ": write " + i + " failed before the kill: " + e);
          }
          return;
        }
        if (r.status() != 200) {
          failure.compareAndSet(null, name + ": write " + i + " was not acknowledged: " + r);
          return;
        }
        try {
          acked.accept(i, r);
        } catch (RuntimeException | AssertionError e) {
          failure.compareAndSet(null, name + ": write " + i + " answered " + r + ": " + e);
          return;
        }
      }
    }, "writer-" + name);
    threads.add(t);
    t.start();
  }

  /** True once a writer failed (the test should stop waiting for more writes). */
  boolean failed() {
    return failure.get() != null;
  }

  /** Call just before killing the server: from now on a failed write is expected. */
  void killing() {
    killing.set(true);
  }

  /** After the kill: every writer has stopped, and none failed before it. */
  void assertEndedCleanly() throws InterruptedException {
    for (Thread t : threads) {
      t.join(Duration.ofSeconds(30).toMillis());
      assertFalse(t.isAlive(), t.getName() + " still writes 30 s after its server was killed");
    }
    assertNull(failure.get());
  }
}
