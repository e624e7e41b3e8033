package io.cleave.common.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * A plain HTTP client for tests: talks to a server the way any client would, with an API key as
 * {@code Authorization: Bearer} (the test servers' admin key unless told otherwise).
 */
public final class Http {
  /** The admin key every test server accepts (its {@code --admin-key}): tests use it unless they test keys. */
  public static final String TEST_ADMIN_KEY = "cleave-test-admin-key-0123456789";

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  /** One answer: status, headers and body (parsed as JSON when it is JSON). */
  public record Reply(int status, java.net.http.HttpHeaders headers, byte[] raw) {
    public JsonNode json() {
      try {
        return Json.MAPPER.readTree(raw);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + text(), e);
      }
    }

    public String text() {
      return new String(raw, java.nio.charset.StandardCharsets.UTF_8);
    }

    public String message() {
      return json().path("message").asText();
    }

    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    @Override
    public String toString() {
      return status + " " + text();
    }
  }

  private final String base;
  private final String apiKey;

  /** A client sending the test servers' admin key. */
  public Http(String base) {
    this(base, TEST_ADMIN_KEY);
  }

  /** A client sending {@code apiKey}, or no Authorization header when it is null. */
  public Http(String base, String apiKey) {
    this.base = base;
    this.apiKey = apiKey;
  }

  /** The same server with another key (null: none). */
  public Http withKey(String key) {
    return new Http(base, key);
  }

  public Reply get(String path) {
    return send(request(path).GET());
  }

  public Reply delete(String path) {
    return send(request(path).DELETE());
  }

  public Reply post(String path, String json) {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  public Reply put(String path, String json) {
    return send(request(path).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(json)));
  }

  /** A request with {@code headers}, which replace the client's own (its Authorization too). */
  public Reply send(String method, String path, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder b = request(path)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::setHeader);
    return send(b);
  }

  /** A request whose body has no declared length (sent chunked). */
  public Reply sendChunked(String method, String path, byte[] body) {
    return send(request(path)
        .method(method, HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))));
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    if (apiKey != null) {
      b.header("Authorization", "Bearer " + apiKey);
    }
    return b;
  }

  public URI uri(String path) {
    return URI.create(base + path);
  }

  private Reply send(HttpRequest.Builder b) {
    try {
      HttpResponse<byte[]> r = CLIENT.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
