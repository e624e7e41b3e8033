package io.cleave.invoker;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON form of what the invoker keeps on disk (activations, queued calls). A {@link Buffer}
 * (a call's body) is stored as Jackson's base64 binary, the form queued calls have always had.
 */
final class StoredJson {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .registerModule(new SimpleModule()
              .addSerializer(Buffer.class, new BufferAsBinary())
              .addDeserializer(Buffer.class, new BufferFromBinary()))
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private StoredJson() {}

  static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static <T> T read(byte[] bytes, Class<T> type) {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final class BufferAsBinary extends JsonSerializer<Buffer> {
    @Override
    public void serialize(Buffer value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      gen.writeBinary(value.getBytes());
    }
  }

  private static final class BufferFromBinary extends JsonDeserializer<Buffer> {
    @Override
    public Buffer deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      return Buffer.buffer(p.getBinaryValue(ctxt.getBase64Variant()));
    }
  }
}
