package io.cleave.common.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.cleave.common.error.ApiError;

/**
 * The JSON dialect of forkd's RPC and of the seed control protocol (docs/CONTRACTS.md):
 * snake_case names, unknown fields ignored. It differs from the API's {@link Json} in writing
 * nulls ({@code "exit_code": null} while an instance runs, {@code "seed_id": null} outside fork
 * orders) where the API leaves them out; it carries no times, so it needs no time format.
 */
public final class WireJson {
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private WireJson() {}

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
    }
  }

  /** Decodes a request or answer body; malformed JSON is the sender's fault (400). */
  public static <T> T read(String json, Class<T> type) {
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new ApiError(400, "malformed " + type.getSimpleName() + " JSON: " + e.getOriginalMessage());
    }
  }
}
