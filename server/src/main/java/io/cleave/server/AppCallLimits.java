package io.cleave.server;

import io.cleave.common.error.ApiError;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.model.App;
import io.vertx.core.Future;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OpenWhisk's per-namespace throttles, per app and per node: at most {@code max-concurrency} of
 * an app's calls this node accepted run at once, and at most {@code max-calls-per-minute} are
 * accepted (a token bucket holding a minute's worth, refilled continuously); past either a call is
 * refused with 429 and {@code Retry-After}. An app's annotations {@code cleave.io/max-concurrency}
 * and {@code cleave.io/max-calls-per-minute} replace the node's defaults. Detached calls count
 * against the rate when submitted (they run later, from the queue, unthrottled); calls forwarded
 * here by another member were counted there.
 */
final class AppCallLimits implements FunctionInvoker {
  static final String MAX_CONCURRENCY = "cleave.io/max-concurrency";
  static final String MAX_CALLS_PER_MINUTE = "cleave.io/max-calls-per-minute";

  /** The node's defaults. */
  record Defaults(int maxConcurrency, int maxCallsPerMinute) {
    static final Defaults STANDARD = new Defaults(200, 60_000);

    Defaults {
      if (maxConcurrency <= 0 || maxCallsPerMinute <= 0) {
        throw new IllegalArgumentException("app call limits must be positive");
      }
    }
  }

  private final FunctionInvoker next;
  private final Defaults defaults;
  private final Map<String, AppThrottle> apps = new ConcurrentHashMap<>();

  AppCallLimits(FunctionInvoker next, Defaults defaults) {
    this.next = next;
    this.defaults = defaults;
  }

  @Override
  public Future<CallResult> call(Call call) {
    AppThrottle throttle = throttle(call.app());
    int concurrency = limit(call.app(), MAX_CONCURRENCY, defaults.maxConcurrency());
    if (!throttle.enter(concurrency)) {
      return Future.failedFuture(new ApiError(429, "Too many concurrent requests: app " + call.app().name()
          + " has " + concurrency + " calls running, its limit (" + MAX_CONCURRENCY + " or --app-max-concurrency)", 1));
    }
    Future<CallResult> admitted = admit(call, throttle);
    if (admitted != null) {
      throttle.leave();
      return admitted;
    }
    return next.call(call).andThen(ar -> throttle.leave());
  }

  @Override
  public Future<Void> submitDetached(Call call) {
    Future<CallResult> refused = admit(call, throttle(call.app()));
    return refused != null ? refused.mapEmpty() : next.submitDetached(call);
  }

  @Override
  public Future<CallResult> runDetached(Call call) {
    return next.runDetached(call);
  }

  /** A 429 when the app used its calls of the minute, else null (the call took a token). */
  private Future<CallResult> admit(Call call, AppThrottle throttle) {
    int perMinute = limit(call.app(), MAX_CALLS_PER_MINUTE, defaults.maxCallsPerMinute());
    long waitMillis = throttle.take(perMinute, System.nanoTime());
    if (waitMillis == 0) {
      return null;
    }
    return Future.failedFuture(new ApiError(429, "Too many requests: app " + call.app().name() + " made more than "
        + perMinute + " calls in a minute, its limit (" + MAX_CALLS_PER_MINUTE + " or --app-max-calls-per-minute)",
        (int) Math.max(1, (waitMillis + 999) / 1000)));
  }

  private AppThrottle throttle(App app) {
    return apps.computeIfAbsent(app.id(), id -> new AppThrottle());
  }

  /** The app's annotation as a positive whole number (JSON number or numeric string), else the default. */
  static int limit(App app, String key, int fallback) {
    Object v = app.annotations() == null ? null : app.annotations().get(key);
    long n;
    if (v instanceof Number num) {
      n = num.longValue();
    } else if (v instanceof String s && s.trim().matches("\\d{1,9}")) {
      n = Long.parseLong(s.trim());
    } else {
      return fallback;
    }
    return n > 0 && n <= Integer.MAX_VALUE ? (int) n : fallback;
  }
}
