package io.cleave.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * Blocking requests to the platform, each failure a {@link CliFailure} carrying the server's
 * {@code message} or a plain explanation. Built on {@link HttpURLConnection} because, unlike
 * java.net.http, it does not set up TLS for a plain-http URL: that alone is a fifth of a short
 * command's run time.
 */
final class PlatformHttp {
  /** How long an API request may wait for its answer. */
  static final int CONTROL_TIMEOUT_MS = 60_000;
  private static final int CONNECT_TIMEOUT_MS = 10_000;
  private static final int UPLOAD_TIMEOUT_MS = 300_000;
  private static final int CHUNK = 1 << 16;

  private final String baseUrl;
  private final String apiKey;

  /**
   * {@code baseUrl}: http(s)://host[:port][/prefix]; anything else is an {@link IllegalArgumentException}.
   * {@code apiKey} goes on every request as {@code Authorization: Bearer}; null sends none.
   */
  PlatformHttp(String baseUrl, String apiKey) {
    this.apiKey = apiKey;
    String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    URI parsed;
    try {
      parsed = URI.create(trimmed);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not an http URL: " + baseUrl);
    }
    if (parsed.getScheme() == null || parsed.getHost() == null
        || !(parsed.getScheme().equals("http") || parsed.getScheme().equals("https"))) {
      throw new IllegalArgumentException("not an http URL: " + baseUrl);
    }
    this.baseUrl = trimmed;
  }

  String baseUrl() {
    return baseUrl;
  }

  /** A JSON request and answer (an empty answer is {@code {}}); non-2xx becomes a {@link CliFailure}. */
  JsonNode json(String method, String path, JsonNode body) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Accept", "application/json");
    byte[] bytes = null;
    if (body != null) {
      headers.put("Content-Type", "application/json");
      bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    }
    ApiResponse r = send(method, path, headers, bytes, CONTROL_TIMEOUT_MS);
    checkStatus(r, method, path);
    return parse(r, method, path);
  }

  private static JsonNode parse(ApiResponse r, String method, String path) {
    if (r.body().length == 0) {
      return JsonText.object();
    }
    try {
      return Json.MAPPER.readTree(r.body());
    } catch (IOException e) {
      throw new CliFailure("the server answered " + method + " " + path + " with something that is not JSON");
    }
  }

  /** Sends a request with an optional in-memory body; {@code timeoutMs} 0 waits as long as it takes. */
  ApiResponse send(String method, String path, Map<String, String> headers, byte[] body, int timeoutMs)
      throws IOException {
    HttpURLConnection c = open(method, path, headers, timeoutMs);
    try {
      if (body != null) {
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(body.length);
        try (OutputStream out = c.getOutputStream()) {
          out.write(body);
        }
      }
      return read(c);
    } catch (ConnectException | UnknownHostException | NoRouteToHostException e) {
      throw unreachable();
    } catch (SocketTimeoutException e) {
      throw new NoAnswerInTime(method + " " + path + " got no answer from " + baseUrl + " within " + timeoutMs + " ms");
    } catch (IOException e) {
      throw broken(e);
    } finally {
      c.disconnect();
    }
  }

  /** Streams a file as the body, reporting every chunk written to {@code progress}, and returns the JSON answer. */
  JsonNode upload(String method, String path, Map<String, String> headers, Path file, LongConsumer progress)
      throws IOException {
    long size = Files.size(file);
    HttpURLConnection c = open(method, path, headers, UPLOAD_TIMEOUT_MS);
    ApiResponse r;
    try {
      c.setDoOutput(true);
      c.setFixedLengthStreamingMode(size);
      try (InputStream in = Files.newInputStream(file); OutputStream out = c.getOutputStream()) {
        byte[] buf = new byte[CHUNK];
        int n;
        while ((n = in.read(buf)) > 0) {
          out.write(buf, 0, n);
          progress.accept(n);
        }
      }
      r = read(c);
    } catch (ConnectException | UnknownHostException | NoRouteToHostException e) {
      throw unreachable();
    } catch (SocketTimeoutException e) {
      throw new CliFailure(method + " " + path + " got no answer from " + baseUrl + " in time");
    } catch (IOException e) {
      throw broken(e);
    } finally {
      c.disconnect();
    }
    checkStatus(r, method, path);
    return parse(r, method, path);
  }

  private HttpURLConnection open(String method, String path, Map<String, String> headers, int timeoutMs)
      throws IOException {
    HttpURLConnection c = (HttpURLConnection) new URL(baseUrl + path).openConnection();
    c.setRequestMethod(method);
    c.setConnectTimeout(CONNECT_TIMEOUT_MS);
    c.setReadTimeout(timeoutMs);
    c.setUseCaches(false);
    // HttpURLConnection's default Accept names image types; a function should see a neutral one.
    c.setRequestProperty("Accept", "*/*");
    c.setRequestProperty("User-Agent", "cleave-cli");
    if (apiKey != null) {
      c.setRequestProperty("Authorization", "Bearer " + apiKey);
    }
    headers.forEach(c::setRequestProperty);
    return c;
  }

  private static ApiResponse read(HttpURLConnection c) throws IOException {
    int status = c.getResponseCode();
    InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
    byte[] body;
    if (in == null) {
      body = new byte[0];
    } else {
      try (in) {
        body = in.readAllBytes();
      }
    }
    return new ApiResponse(status, c.getHeaderFields(), body);
  }

  private CliFailure unreachable() {
    return new CliFailure("cannot reach the API at " + baseUrl + " (is `./cleave server` running?)");
  }

  private CliFailure broken(IOException e) {
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new CliFailure("request to " + baseUrl + " failed: " + detail);
  }

  /** Throws the server's message for a non-2xx answer; a 401 also says where a key comes from. */
  void checkStatus(ApiResponse r, String method, String path) {
    if (r.status() == 401) {
      throw new CliFailure(errorMessage(r.status(), r.body(), method + " " + path) + " (" + baseUrl
          + (apiKey == null ? " got no key: " : " refused the key: ") + ApiEndpoint.KEY_SOURCES + ")");
    }
    if (!r.ok()) {
      throw new CliFailure(errorMessage(r.status(), r.body(), method + " " + path));
    }
  }

  /** The server's {@code message}, or a description of the status when there is none. */
  static String errorMessage(int status, byte[] body, String what) {
    Optional<String> message = serverMessage(body);
    if (message.isPresent()) {
      return message.get();
    }
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (text.length() > 200) {
      text = text.substring(0, 200) + "...";
    }
    return "HTTP " + status + " on " + what + (text.isEmpty() ? "" : ": " + text);
  }

  /** The {@code message} of a JSON error body, as Fn and Cleave send them. */
  static Optional<String> serverMessage(byte[] body) {
    try {
      JsonNode node = Json.MAPPER.readTree(body);
      if (node != null && node.hasNonNull("message")) {
        return Optional.of(node.get("message").asText());
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: no message
    }
    return Optional.empty();
  }
}
