package io.cleave.flows;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON mapper of step results and stored runs: the platform's, without Jackson's 20 MB cap on
 * one string. A step's answer is already bounded by the node's largest answer
 * ({@code --max-response}); under the cap, a result holding a longer string failed to parse and
 * reached its consumers as the answer's text instead of the value.
 */
final class RunJson {
  static final ObjectMapper MAPPER = build();

  private RunJson() {}

  /** A stored record; damage becomes an {@link UncheckedIOException}, as {@link Json#fromBytes} does. */
  static <T> T read(byte[] bytes, Class<T> type) {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectMapper build() {
    ObjectMapper mapper = Json.MAPPER.copy();
    mapper.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build());
    return mapper;
  }
}
