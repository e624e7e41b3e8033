package io.cleave.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * A small blocking client for the Fn v2 API and Cleave's /cleave/v1 additions. Every failure comes
 * out as a {@link CliFailure} carrying the server's {@code message} or a plain explanation.
 * Built on {@link HttpURLConnection} because, unlike java.net.http, it does not set up TLS for a
 * plain-http URL: that alone is a fifth of a short command's run time.
 */
public final class CleaveApi {
  /** Annotations Fn adds when it answers: where to call a function, where a trigger listens. */
  public static final String FN_ENDPOINT = "fnproject.io/fn/invokeEndpoint";
  public static final String TRIGGER_ENDPOINT = "fnproject.io/trigger/httpEndpoint";

  private static final int CONNECT_TIMEOUT_MS = 10_000;
  private static final int CONTROL_TIMEOUT_MS = 60_000;
  private static final int UPLOAD_TIMEOUT_MS = 300_000;
  private static final int PAGE_SIZE = 100;
  private static final int CHUNK = 1 << 16;

  /** An answer: status, headers (names as the server sent them) and the whole body. */
  public record Response(int status, Map<String, List<String>> headers, byte[] body) {
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

  /** The server did not answer within the request's read timeout. */
  public static final class NoAnswerInTime extends CliFailure {
    NoAnswerInTime(String message) {
      super(message);
    }
  }

  private final String baseUrl;

  public CleaveApi(String baseUrl) {
    String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    try {
      URI parsed = URI.create(trimmed);
      if (parsed.getScheme() == null || parsed.getHost() == null
          || !(parsed.getScheme().equals("http") || parsed.getScheme().equals("https"))) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
    } catch (IllegalArgumentException e) {
      throw new UsageFailure("invalid API URL '" + baseUrl + "': expected something like " + ApiEndpoint.DEFAULT_URL);
    }
    this.baseUrl = trimmed;
  }

  public String baseUrl() {
    return baseUrl;
  }

  /** {@code path?k=v&...} with the values URL-encoded; null values are left out. */
  public static String withQuery(String path, Map<String, String> query) {
    StringBuilder sb = new StringBuilder(path);
    char sep = path.contains("?") ? '&' : '?';
    for (Map.Entry<String, String> e : query.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      sb.append(sep).append(e.getKey()).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
      sep = '&';
    }
    return sb.toString();
  }

  public static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  public JsonNode get(String pathAndQuery) throws IOException {
    return json("GET", pathAndQuery, null);
  }

  public JsonNode post(String path, JsonNode body) throws IOException {
    return json("POST", path, body);
  }

  public JsonNode put(String path, JsonNode body) throws IOException {
    return json("PUT", path, body);
  }

  public void delete(String path) throws IOException {
    Response r = send("DELETE", path, Map.of(), null, CONTROL_TIMEOUT_MS);
    checkStatus(r, "DELETE", path);
  }

  /** A JSON request and answer; non-2xx becomes a {@link CliFailure}. */
  private JsonNode json(String method, String path, JsonNode body) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Accept", "application/json");
    byte[] bytes = null;
    if (body != null) {
      headers.put("Content-Type", "application/json");
      bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    }
    Response r = send(method, path, headers, bytes, CONTROL_TIMEOUT_MS);
    checkStatus(r, method, path);
    return parse(r, method, path);
  }

  private static JsonNode parse(Response r, String method, String path) {
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
  public Response send(String method, String path, Map<String, String> headers, byte[] body, int timeoutMs)
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
  public JsonNode upload(String method, String path, Map<String, String> headers, Path file, LongConsumer progress)
      throws IOException {
    long size = Files.size(file);
    HttpURLConnection c = open(method, path, headers, UPLOAD_TIMEOUT_MS);
    Response r;
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
    headers.forEach(c::setRequestProperty);
    return c;
  }

  private static Response read(HttpURLConnection c) throws IOException {
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
    return new Response(status, c.getHeaderFields(), body);
  }

  private CliFailure unreachable() {
    return new CliFailure("cannot reach the API at " + baseUrl + " (is `./cleave server` running?)");
  }

  private CliFailure broken(IOException e) {
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new CliFailure("request to " + baseUrl + " failed: " + detail);
  }

  /** Throws the server's message for a non-2xx answer. */
  public static void checkStatus(Response r, String method, String path) {
    if (!r.ok()) {
      throw new CliFailure(errorMessage(r.status(), r.body(), method + " " + path));
    }
  }

  /** The server's {@code message}, or a description of the status when there is none. */
  public static String errorMessage(int status, byte[] body, String what) {
    try {
      JsonNode node = Json.MAPPER.readTree(body);
      if (node != null && node.hasNonNull("message")) {
        return node.get("message").asText();
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: described below
    }
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (text.length() > 200) {
      text = text.substring(0, 200) + "...";
    }
    return "HTTP " + status + " on " + what + (text.isEmpty() ? "" : ": " + text);
  }

  /** Every item of a paged Fn list, following {@code next_cursor}. */
  public List<JsonNode> listAll(String path, Map<String, String> query) throws IOException {
    List<JsonNode> items = new ArrayList<>();
    Map<String, String> q = new LinkedHashMap<>(query);
    q.put("per_page", Integer.toString(PAGE_SIZE));
    while (true) {
      JsonNode page = get(withQuery(path, q));
      page.path("items").forEach(items::add);
      String next = JsonText.text(page, "next_cursor");
      if (next.isEmpty() || next.equals(q.get("cursor"))) {
        return items;
      }
      q.put("cursor", next);
    }
  }

  // ---- name lookups (Fn's CLI resolves names the same way: list with a name filter) ----

  public Optional<JsonNode> findApp(String name) throws IOException {
    return firstNamed(listAll("/v2/apps", Map.of("name", name)), name);
  }

  public JsonNode app(String name) throws IOException {
    return findApp(name).orElseThrow(() -> new CliFailure("app " + name + " not found"));
  }

  public Optional<JsonNode> findFn(JsonNode app, String name) throws IOException {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("app_id", JsonText.text(app, "id"));
    q.put("name", name);
    return firstNamed(listAll("/v2/fns", q), name);
  }

  public JsonNode fn(JsonNode app, String name) throws IOException {
    return findFn(app, name).orElseThrow(
        () -> new CliFailure("function " + name + " not found in app " + JsonText.text(app, "name")));
  }

  public Optional<JsonNode> findTrigger(JsonNode app, JsonNode fn, String name) throws IOException {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("app_id", JsonText.text(app, "id"));
    q.put("fn_id", JsonText.text(fn, "id"));
    q.put("name", name);
    return firstNamed(listAll("/v2/triggers", q), name);
  }

  public JsonNode trigger(JsonNode app, JsonNode fn, String name) throws IOException {
    return findTrigger(app, fn, name).orElseThrow(
        () -> new CliFailure("trigger " + name + " not found for function " + JsonText.text(fn, "name")));
  }

  public JsonNode fnById(String id) throws IOException {
    return get("/v2/fns/" + segment(id));
  }

  private static Optional<JsonNode> firstNamed(List<JsonNode> items, String name) {
    return items.stream().filter(i -> name.equals(JsonText.text(i, "name"))).findFirst();
  }

  /** A config patch {@code {"config": {key: value}}} (Fn's merge-patch: "" deletes the key). */
  public static ObjectNode configPatch(String key, String value) {
    ObjectNode body = JsonText.object();
    body.putObject("config").put(key, value);
    return body;
  }
}
