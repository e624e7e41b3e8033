package io.cleave.fdk.java;

import com.fnproject.fn.api.FunctionInvoker;
import com.fnproject.fn.api.Headers;
import com.fnproject.fn.api.InputCoercion;
import com.fnproject.fn.api.OutputCoercion;
import com.fnproject.fn.api.OutputEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * Runs one call of an instance: its invokers (PreCall, then Call, then the function method with
 * coerced parameters) and turns the outcome into the answer the platform gets. Whatever the
 * function throws answers 502 {"message":"function failed"}, Fn's words; the exception and its
 * stack trace go to stderr, the call's log, never to the caller.
 */
final class FunctionCall {
  static final String FAILED_BODY = "{\"message\":\"function failed\"}";

  /** An answer as sent: HTTP status, headers, body. */
  record Answer(int status, Headers headers, byte[] body) {
    static Answer failed(int status) {
      return new Answer(status, Headers.emptyHeaders().setHeader("Content-Type", "application/json"),
          FAILED_BODY.getBytes(StandardCharsets.UTF_8));
    }
  }

  private FunctionCall() {}

  static Answer run(InstanceContext ctx, HttpExchange.Request request) {
    Headers in = request.headers().removeHeader("Content-Length").removeHeader("Transfer-Encoding")
        .removeHeader("Connection").removeHeader("Host").removeHeader("Accept-Encoding").removeHeader("User-Agent");
    String callId = in.get("Fn-Call-Id").orElse("");
    CallInput input = new CallInput(request.body(), in, callId, deadline(in.get("Fn-Deadline").orElse(null)));
    CallContext call = new CallContext(ctx, in);
    writeLogFrame(ctx, in);
    OutputEvent out;
    try {
      out = invoke(ctx, call, input);
    } catch (InvocationTargetException e) {
      report("An error occurred in function " + ctx.functionMethod().getLongName() + " (call " + callId + "):", e.getCause());
      call.fireEnded(false);
      return Answer.failed(502);
    } catch (RuntimeException | IllegalAccessException e) {
      report("The call " + callId + " of " + ctx.functionMethod().getLongName() + " failed:", e);
      call.fireEnded(false);
      return Answer.failed(502);
    } finally {
      System.out.flush();
      System.err.flush();
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try {
      out.writeToOutput(body);
    } catch (IOException | RuntimeException e) {
      report("The answer of call " + callId + " could not be written:", e);
      call.fireEnded(false);
      return Answer.failed(502);
    }
    Headers headers = out.getHeaders().setHeaders(call.responseHeaders());
    if (headers.get("Content-Type").isEmpty()) {
      headers = headers.setHeader("Content-Type", "application/octet-stream");
    }
    call.fireEnded(out.isSuccess());
    return new Answer(out.getStatus().getCode(), headers, body.toByteArray());
  }

  private static OutputEvent invoke(InstanceContext ctx, CallContext call, CallInput input)
      throws InvocationTargetException, IllegalAccessException {
    for (FunctionInvoker.Phase phase : FunctionInvoker.Phase.values()) {
      for (FunctionInvoker invoker : ctx.invokers(phase)) {
        Optional<OutputEvent> out = invoker.tryInvoke(call, input);
        if (out.isPresent()) {
          return out.get();
        }
      }
    }
    FunctionMethod method = ctx.functionMethod();
    Object[] args = new Object[method.getParameterCount()];
    for (int i = 0; i < args.length; i++) {
      args[i] = coerceParam(ctx, call, input, method, i);
    }
    Object result = method.getTargetMethod().invoke(ctx.functionObject(), args);
    for (OutputCoercion c : ctx.getOutputCoercions(method.getTargetMethod())) {
      Optional<OutputEvent> out = c.wrapFunctionResult(call, method, result);
      if (out.isPresent()) {
        return out.get();
      }
    }
    throw new IllegalStateException("no output coercion accepts the result of " + method.getLongName());
  }

  @SuppressWarnings("unchecked")
  private static Object coerceParam(InstanceContext ctx, CallContext call, CallInput input, FunctionMethod method, int i) {
    for (InputCoercion<Object> c : (List<InputCoercion<Object>>) (List<?>) ctx.getInputCoercions(method, i)) {
      Optional<Object> v = c.tryCoerceParam(call, i, input, method);
      if (v.isPresent()) {
        return v.get();
      }
    }
    throw new IllegalStateException("no input coercion makes parameter " + i + " (" + method.getParamType(i).getParameterClass().getName()
        + ") of " + method.getLongName());
  }

  /** The call's Fn-Deadline in epoch milliseconds, or -1 when it has none (or an unreadable one). */
  static long deadlineMillis(Headers headers) {
    String value = headers.get("Fn-Deadline").orElse(null);
    Instant deadline = value == null ? null : instant(value);
    return deadline == null ? -1 : deadline.toEpochMilli();
  }

  /** Fn's deadline (RFC 3339); an hour from now when absent or unreadable, as fdk-java does. */
  private static Instant deadline(String value) {
    Instant deadline = value == null ? null : instant(value);
    return deadline != null ? deadline : Instant.now().plusSeconds(3600);
  }

  /** An RFC 3339 time stamp; null when it is none. java.time reads the forms Rfc3339 does not. */
  static Instant instant(String value) {
    Instant fast = Rfc3339.parse(value);
    if (fast != null) {
      return fast;
    }
    try {
      return OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** Fn's log frame: "<FN_LOGFRAME_NAME>=<value of header FN_LOGFRAME_HDR>" on stdout and stderr. */
  private static void writeLogFrame(InstanceContext ctx, Headers in) {
    String name = ctx.getConfiguration().getOrDefault("FN_LOGFRAME_NAME", "");
    String header = ctx.getConfiguration().getOrDefault("FN_LOGFRAME_HDR", "");
    if (name.isEmpty() || header.isEmpty()) {
      return;
    }
    Optional<String> v = in.get(header);
    if (v.isPresent()) {
      System.out.println("\n" + name + "=" + v.get());
      System.err.println("\n" + name + "=" + v.get());
    }
  }

  private static void report(String what, Throwable t) {
    System.err.println(what);
    t.printStackTrace(System.err);
    System.err.flush();
  }
}
