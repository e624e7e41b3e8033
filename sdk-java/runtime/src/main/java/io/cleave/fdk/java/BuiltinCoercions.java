package io.cleave.fdk.java;

import com.fnproject.fn.api.InputCoercion;
import com.fnproject.fn.api.InputEvent;
import com.fnproject.fn.api.InvocationContext;
import com.fnproject.fn.api.MethodWrapper;
import com.fnproject.fn.api.OutputCoercion;
import com.fnproject.fn.api.OutputEvent;
import com.fnproject.fn.api.RuntimeContext;
import com.fnproject.fn.api.httpgateway.HTTPGatewayContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * fdk-java's default coercions: a parameter can be the RuntimeContext, InvocationContext,
 * HTTPGatewayContext, the InputEvent, the body as String (UTF-8) or byte[], or else any other
 * type read from the body as JSON; a result can be void, String (text/plain), byte[]
 * (application/octet-stream), an OutputEvent as is, or else any other value written as JSON.
 */
final class BuiltinCoercions implements InputCoercion<Object>, OutputCoercion {
  static final BuiltinCoercions INSTANCE = new BuiltinCoercions();

  private BuiltinCoercions() {}

  @Override
  public Optional<Object> tryCoerceParam(InvocationContext ctx, int arg, InputEvent input, MethodWrapper method) {
    Class<?> type = method.getParamType(arg).getParameterClass();
    if (type == RuntimeContext.class) {
      return Optional.of(ctx.getRuntimeContext());
    }
    if (type == InvocationContext.class) {
      return Optional.of(ctx);
    }
    if (type == HTTPGatewayContext.class) {
      return Optional.of(new GatewayContext((CallContext) ctx));
    }
    if (type == InputEvent.class) {
      return Optional.of(input);
    }
    if (type == String.class) {
      return Optional.of(new String(input.consumeBody(ReadAll.INSTANCE), StandardCharsets.UTF_8));
    }
    if (type == byte[].class) {
      return Optional.of(input.consumeBody(ReadAll.INSTANCE));
    }
    return JsonCoercion.readParam(ctx, arg, input, method);
  }

  @Override
  public Optional<OutputEvent> wrapFunctionResult(InvocationContext ctx, MethodWrapper method, Object value) {
    Class<?> type = method.getReturnType().getParameterClass();
    if (type == void.class || type == Void.class) {
      return Optional.of(OutputEvent.emptyResult(OutputEvent.Status.Success));
    }
    if (value instanceof OutputEvent out) {
      return Optional.of(out);
    }
    if (value == null) {
      return Optional.of(OutputEvent.emptyResult(OutputEvent.Status.Success));
    }
    if (type == String.class) {
      return Optional.of(OutputEvent.fromBytes(((String) value).getBytes(StandardCharsets.UTF_8),
          OutputEvent.Status.Success, "text/plain"));
    }
    if (type == byte[].class) {
      return Optional.of(OutputEvent.fromBytes((byte[]) value, OutputEvent.Status.Success, "application/octet-stream"));
    }
    return JsonCoercion.writeResult(ctx, value);
  }

  /** The whole body (a class rather than a lambda, which costs a cold start tens of milliseconds). */
  private static final class ReadAll implements java.util.function.Function<java.io.InputStream, byte[]> {
    static final ReadAll INSTANCE = new ReadAll();

    @Override
    public byte[] apply(java.io.InputStream in) {
      try {
        return in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
