package io.cleave.common.json;

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
 * The JSON form of what the invoker keeps in RocksDB (activation records, queued calls): Java
 * field names and ISO-8601 instants at full precision, unknown fields ignored so older records
 * still read; a {@link Buffer} (a call's body) is Jackson's base64 binary, the form queued calls
 * have always had. Registry records (apps, fns, triggers) are stored in the API's {@link Json} form
 * instead, as they always were: switching them would leave existing data directories unreadable.
 */
public final class StoredJson {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .registerModule(new SimpleModule()
              .addSerializer(Buffer.class, new BufferAsBinary())
              .addDeserializer(Buffer.class, new BufferFromBinary()))
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private StoredJson() {}

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static <T> T read(byte[] bytes, Class<T> type) {
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
