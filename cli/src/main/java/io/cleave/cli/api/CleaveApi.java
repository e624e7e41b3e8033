package io.cleave.cli.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small blocking client for the Fn v2 API and Cleave's /cleave/v1 additions. Every failure comes
 * out as a {@link CliFailure} carrying the server's {@code message} or a plain explanation.
 */
public final class CleaveApi {
  private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(60);
  private static final int PAGE_SIZE = 100;

  private final String baseUrl;
  private final HttpClient http;

  public CleaveApi(String baseUrl) {
    String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    try {
      URI parsed = URI.create(trimmed);
      if (parsed.getScheme() == null || parsed.getHost() == null
          || !(parsed.getScheme().equals("http") || parsed.getScheme().equals("https"))) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
    } catch (IllegalArgumentException e) {
      throw new CliFailure("invalid API URL '" + baseUrl + "': expected something like " + ApiEndpoint.DEFAULT_URL);
    }
    this.baseUrl = trimmed;
    // HTTP/1.1 only: the default would try an h2c upgrade on every plain-http request.
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
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

  public HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery));
  }

  public JsonNode get(String pathAndQuery) throws IOException, InterruptedException {
    return json(request(pathAndQuery).timeout(CONTROL_TIMEOUT).GET());
  }

  public JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
    return json(withJson(request(path).timeout(CONTROL_TIMEOUT), "POST", body));
  }

  public JsonNode put(String path, JsonNode body) throws IOException, InterruptedException {
    return json(withJson(request(path).timeout(CONTROL_TIMEOUT), "PUT", body));
  }

  public void delete(String path) throws IOException, InterruptedException {
    HttpResponse<byte[]> response = send(request(path).timeout(CONTROL_TIMEOUT).DELETE(), HttpResponse.BodyHandlers.ofByteArray());
    checkStatus(response.statusCode(), response.body(), "DELETE", path);
  }

  /** Sends the request and parses a JSON answer; non-2xx becomes a {@link CliFailure}. */
  public JsonNode json(HttpRequest.Builder builder) throws IOException, InterruptedException {
    HttpRequest request = builder.header("Accept", "application/json").build();
    HttpResponse<byte[]> response = send(request, HttpResponse.BodyHandlers.ofByteArray());
    checkStatus(response.statusCode(), response.body(), request.method(), request.uri().getRawPath());
    byte[] body = response.body();
    if (body.length == 0) {
      return JsonText.object();
    }
    try {
      return JsonText.MAPPER.readTree(body);
    } catch (IOException e) {
      throw new CliFailure("the server answered " + request.method() + " " + request.uri().getRawPath()
          + " with something that is not JSON");
    }
  }

  /** Sends a request; a server that cannot be reached becomes the usual one-line hint. */
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    try {
      return http.send(request, handler);
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw unreachable();
    } catch (IOException e) {
      if (e.getCause() instanceof ConnectException) {
        throw unreachable();
      }
      throw new CliFailure("request to " + baseUrl + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
  }

  public <T> HttpResponse<T> send(HttpRequest.Builder builder, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    return send(builder.build(), handler);
  }

  private CliFailure unreachable() {
    return new CliFailure("cannot reach the API at " + baseUrl + " (is `./cleave server` running?)");
  }

  /** Throws the server's message for a non-2xx status. */
  public static void checkStatus(int status, byte[] body, String method, String path) {
    if (status >= 200 && status < 300) {
      return;
    }
    throw new CliFailure(errorMessage(status, body, method + " " + path));
  }

  /** The server's {@code message}, or a description of the status when there is none. */
  public static String errorMessage(int status, byte[] body, String what) {
    try {
      JsonNode node = JsonText.MAPPER.readTree(body);
      if (node != null && node.hasNonNull("message")) {
        return node.get("message").asText();
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: fall through to the generic description
    }
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (text.length() > 200) {
      text = text.substring(0, 200) + "...";
    }
    return "HTTP " + status + " on " + what + (text.isEmpty() ? "" : ": " + text);
  }

  private static HttpRequest.Builder withJson(HttpRequest.Builder b, String method, JsonNode body) {
    return b.header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
  }

  /** Every item of a paged Fn list, following {@code next_cursor}. */
  public List<JsonNode> listAll(String path, Map<String, String> query) throws IOException, InterruptedException {
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

  public Optional<JsonNode> findApp(String name) throws IOException, InterruptedException {
    return firstNamed(listAll("/v2/apps", Map.of("name", name)), name);
  }

  public JsonNode app(String name) throws IOException, InterruptedException {
    return findApp(name).orElseThrow(() -> new CliFailure("app " + name + " not found"));
  }

  public Optional<JsonNode> findFn(JsonNode app, String name) throws IOException, InterruptedException {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("app_id", JsonText.text(app, "id"));
    q.put("name", name);
    return firstNamed(listAll("/v2/fns", q), name);
  }

  public JsonNode fn(JsonNode app, String name) throws IOException, InterruptedException {
    return findFn(app, name).orElseThrow(
        () -> new CliFailure("function " + name + " not found in app " + JsonText.text(app, "name")));
  }

  public Optional<JsonNode> findTrigger(JsonNode app, JsonNode fn, String name) throws IOException, InterruptedException {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("app_id", JsonText.text(app, "id"));
    q.put("fn_id", JsonText.text(fn, "id"));
    q.put("name", name);
    return firstNamed(listAll("/v2/triggers", q), name);
  }

  public JsonNode trigger(JsonNode app, JsonNode fn, String name) throws IOException, InterruptedException {
    return findTrigger(app, fn, name).orElseThrow(
        () -> new CliFailure("trigger " + name + " not found for function " + JsonText.text(fn, "name")));
  }

  public JsonNode fnById(String id) throws IOException, InterruptedException {
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
