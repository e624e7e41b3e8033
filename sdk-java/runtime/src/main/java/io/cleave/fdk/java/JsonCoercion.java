package io.cleave.fdk.java;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.LRUMap;
import com.fnproject.fn.api.InputEvent;
import com.fnproject.fn.api.InvocationContext;
import com.fnproject.fn.api.MethodWrapper;
import com.fnproject.fn.api.OutputEvent;
import com.fnproject.fn.api.RuntimeContext;
import com.fnproject.fn.api.exception.FunctionInputHandlingException;
import com.fnproject.fn.api.exception.FunctionOutputHandlingException;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Optional;

/**
 * POJOs as JSON through Jackson. Its own class, so Jackson's classes load only when a function
 * takes or returns a POJO. Each instance has its own ObjectMapper, kept as the RuntimeContext
 * attribute fdk-java uses, so a function's @FnConfiguration can replace it with a configured one.
 */
final class JsonCoercion {
  static final String MAPPER_ATTRIBUTE = "com.fnproject.fn.runtime.coercion.jackson.JacksonCoercion.om";

  private JsonCoercion() {}

  static Optional<Object> readParam(InvocationContext ctx, int arg, InputEvent input, MethodWrapper method) {
    Type type = method.getTargetMethod().getGenericParameterTypes()[arg];
    ObjectMapper mapper = mapper(ctx.getRuntimeContext());
    JavaType javaType = mapper.constructType(type);
    return Optional.ofNullable(input.consumeBody(in -> {
      try {
        return mapper.readValue(in, javaType);
      } catch (IOException e) {
        throw new FunctionInputHandlingException("the input is not JSON of type " + type.getTypeName() + ": " + originalMessage(e), e);
      }
    }));
  }

  static Optional<OutputEvent> writeResult(InvocationContext ctx, Object value) {
    try {
      byte[] json = mapper(ctx.getRuntimeContext()).writeValueAsBytes(value);
      return Optional.of(OutputEvent.fromBytes(json, OutputEvent.Status.Success, "application/json"));
    } catch (JsonProcessingException e) {
      throw new FunctionOutputHandlingException("the result of type " + value.getClass().getName() + " cannot be written as JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  private static String originalMessage(IOException e) {
    return e instanceof JsonProcessingException j ? j.getOriginalMessage() : String.valueOf(e.getMessage());
  }

  private static ObjectMapper mapper(RuntimeContext ctx) {
    synchronized (ctx) {
      Optional<ObjectMapper> mapper = ctx.getAttribute(MAPPER_ATTRIBUTE, ObjectMapper.class);
      if (mapper.isPresent()) {
        return mapper.get();
      }
      ObjectMapper made = new ObjectMapper();
      // Jackson's default TypeFactory caches types JVM-wide: a cache of the instance's own lets a
      // stopped instance's classes (and class loader) go.
      made.setTypeFactory(made.getTypeFactory().withCache(new LRUMap<Object, JavaType>(16, 200)));
      ctx.setAttribute(MAPPER_ATTRIBUTE, made);
      return made;
    }
  }
}
