package io.cleave.client;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An answer of the platform: status, headers (names as the server sent them) and the whole body. */
public record ApiResponse(int status, Map<String, List<String>> headers, byte[] body) {
  public Optional<String> header(String name) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
        return Optional.of(e.getValue().get(0));
      }
    }
    return Optional.empty();
  }

  public boolean ok() {
    return status / 100 == 2;
  }
}
