package io.cleave.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * The platform's API as the CLI, replay and the benchmarks use it: Fn v2 apps, functions and
 * triggers, Cleave's bundle upload and activations, calls and {@code /metrics}. Blocking; every
 * failure is a {@link CliFailure} carrying the server's {@code message} or a plain explanation.
 * Calls a benchmark times, many at once, go through {@link TimedCalls} instead.
 */
public final class PlatformClient {
  /** Annotations Fn adds when it answers: where to call a function, where a trigger listens. */
  public static final String FN_ENDPOINT = "fnproject.io/fn/invokeEndpoint";
  public static final String TRIGGER_ENDPOINT = "fnproject.io/trigger/httpEndpoint";

  private static final int PAGE_SIZE = 100;
  /** A scrape that takes longer than this is skipped, not waited for: the platform is busy. */
  private static final int METRICS_TIMEOUT_MS = 5_000;

  private final PlatformHttp http;

  /**
   * {@code baseUrl}: http(s)://host[:port][/prefix]; anything else is an {@link IllegalArgumentException}.
   * {@code apiKey} is sent with every request (null: none, so only open routes answer).
   */
  public PlatformClient(String baseUrl, String apiKey) {
    this.http = new PlatformHttp(baseUrl, apiKey);
  }

  public String baseUrl() {
    return http.baseUrl();
  }

  /** A path segment, URL-encoded. */
  public static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** {@code path?k=v&...} with the values URL-encoded; null values are left out. */
  static String withQuery(String path, Map<String, String> query) {
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

  /** The {@code message} of a JSON error body, as Fn and Cleave send them. */
  public static Optional<String> serverMessage(byte[] body) {
    return PlatformHttp.serverMessage(body);
  }

  // ---- apps

  public List<JsonNode> apps() throws IOException {
    return listAll("/v2/apps", Map.of());
  }

  /** Fn's CLI resolves names the same way: a list with a name filter. */
  public Optional<JsonNode> findApp(String name) throws IOException {
    return firstNamed(listAll("/v2/apps", Map.of("name", name)), name);
  }

  public JsonNode app(String name) throws IOException {
    return findApp(name).orElseThrow(() -> new CliFailure("app " + name + " not found"));
  }

  public JsonNode createApp(ObjectNode app) throws IOException {
    return http.json("POST", "/v2/apps", app);
  }

  /** Merge-patches the app: fields left out stay, a config value "" removes the key. */
  public JsonNode updateApp(String id, ObjectNode patch) throws IOException {
    return http.json("PUT", "/v2/apps/" + segment(id), patch);
  }

  public void deleteApp(String id) throws IOException {
    delete("/v2/apps/" + segment(id));
  }

  // ---- functions

  public List<JsonNode> fns(String appId) throws IOException {
    return listAll("/v2/fns", Map.of("app_id", appId));
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

  public JsonNode fnById(String id) throws IOException {
    return http.json("GET", "/v2/fns/" + segment(id), null);
  }

  public JsonNode createFn(ObjectNode fn) throws IOException {
    return http.json("POST", "/v2/fns", fn);
  }

  /** Merge-patches the function: fields left out stay, a config value "" removes the key. */
  public JsonNode updateFn(String id, ObjectNode patch) throws IOException {
    return http.json("PUT", "/v2/fns/" + segment(id), patch);
  }

  public void deleteFn(String id) throws IOException {
    delete("/v2/fns/" + segment(id));
  }

  /**
   * Streams a bundle file as the function's code, reporting every chunk sent to {@code progress};
   * the server checks it against {@code sha256}. Answers the updated function.
   */
  public JsonNode uploadBundle(String fnId, Path archive, String sha256, LongConsumer progress) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/gzip");
    headers.put("Accept", "application/json");
    headers.put("X-Content-SHA256", sha256);
    return http.upload("PUT", bundlePath(fnId), headers, archive, progress);
  }

  /** Creates a function and uploads its bundle (built in memory); answers the function's id. */
  public String deploy(String appId, String name, int memoryMb, int timeoutS, int idleTimeoutS, Map<String, String> config,
      byte[] bundle) throws IOException {
    ObjectNode body = JsonText.object()
        .put("app_id", appId)
        .put("name", name)
        .put("memory", memoryMb)
        .put("timeout", timeoutS)
        .put("idle_timeout", idleTimeoutS);
    ObjectNode configBody = body.putObject("config");
    config.forEach(configBody::put);
    String id = JsonText.text(createFn(body), "id");
    ApiResponse r = http.send("PUT", bundlePath(id), Map.of("Content-Type", "application/gzip"), bundle,
        PlatformHttp.CONTROL_TIMEOUT_MS);
    http.checkStatus(r, "PUT", bundlePath(id));
    return id;
  }

  private static String bundlePath(String fnId) {
    return "/cleave/v1/fns/" + segment(fnId) + "/bundle";
  }

  /**
   * Calls the function with {@code body}; waits {@code timeoutMs} for the answer, then throws
   * {@link NoAnswerInTime}. The answer is returned whatever its status.
   */
  /**
   * Where function {@code fn} of app {@code app} is called ({@code fn_id}, {@code timeout},
   * {@code invoke_endpoint}): what any key that may call it may read.
   */
  public JsonNode endpoint(String app, String fn) throws IOException {
    return http.json("GET", "/cleave/v1/apps/" + segment(app) + "/fns/" + segment(fn) + "/endpoint", null);
  }

  public ApiResponse invoke(String fnId, String contentType, byte[] body, int timeoutMs) throws IOException {
    return http.send("POST", "/invoke/" + segment(fnId), Map.of("Content-Type", contentType), body, timeoutMs);
  }

  // ---- triggers

  /** The triggers of an app, or of one of its functions when {@code fnId} is not null. */
  public List<JsonNode> triggers(String appId, String fnId) throws IOException {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("app_id", appId);
    q.put("fn_id", fnId);
    return listAll("/v2/triggers", q);
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

  public JsonNode createTrigger(ObjectNode trigger) throws IOException {
    return http.json("POST", "/v2/triggers", trigger);
  }

  public JsonNode updateTrigger(String id, ObjectNode patch) throws IOException {
    return http.json("PUT", "/v2/triggers/" + segment(id), patch);
  }

  public void deleteTrigger(String id) throws IOException {
    delete("/v2/triggers/" + segment(id));
  }

  // ---- activations and metrics

  /** Activations newest first, filtered by {@code query} ({@code fn_id}, {@code since}, {@code limit}; null values left out). */
  public List<JsonNode> activations(Map<String, String> query) throws IOException {
    JsonNode answer = http.json("GET", withQuery("/cleave/v1/activations", query), null);
    JsonNode items = answer.isArray() ? answer : answer.path("items");
    List<JsonNode> out = new ArrayList<>();
    items.forEach(out::add);
    return out;
  }

  public JsonNode activation(String callId) throws IOException {
    return http.json("GET", activationPath(callId), null);
  }

  /** The activation record of a call; empty while the platform has none (it is written just after the answer). */
  public Optional<JsonNode> findActivation(String callId) throws IOException {
    ApiResponse r = http.send("GET", activationPath(callId), Map.of("Accept", "application/json"), null,
        PlatformHttp.CONTROL_TIMEOUT_MS);
    if (r.status() == 404) {
      return Optional.empty();
    }
    http.checkStatus(r, "GET", activationPath(callId));
    return Optional.of(JsonText.parse(new String(r.body(), StandardCharsets.UTF_8)));
  }

  /** A call's captured stdout and stderr. */
  public ApiResponse activationLogs(String callId) throws IOException {
    String path = activationPath(callId) + "/logs";
    ApiResponse r = http.send("GET", path, Map.of(), null, PlatformHttp.CONTROL_TIMEOUT_MS);
    http.checkStatus(r, "GET", path);
    return r;
  }

  private static String activationPath(String callId) {
    return "/cleave/v1/activations/" + segment(callId);
  }

  /** The Prometheus text of {@code /metrics}. */
  public String metrics() throws IOException {
    ApiResponse r = http.send("GET", "/metrics", Map.of(), null, METRICS_TIMEOUT_MS);
    http.checkStatus(r, "GET", "/metrics");
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  // ---- API keys (admin keys only)

  public List<JsonNode> keys() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    http.json("GET", "/cleave/v1/keys", null).path("items").forEach(out::add);
    return out;
  }

  /**
   * A new key of {@code role} ({@code appId} for deploy and invoke keys, else null), accepted for
   * {@code lifetime} (null: until revoked); the answer holds its text.
   */
  public JsonNode createKey(String role, String appId, Duration lifetime) throws IOException {
    ObjectNode body = JsonText.object().put("role", role);
    if (appId != null) {
      body.put("app_id", appId);
    }
    if (lifetime != null) {
      body.put("expires_in_s", lifetime.toSeconds());
    }
    return http.json("POST", "/cleave/v1/keys", body);
  }

  public void revokeKey(String id) throws IOException {
    delete("/cleave/v1/keys/" + segment(id));
  }

  // ---- shared

  private void delete(String path) throws IOException {
    ApiResponse r = http.send("DELETE", path, Map.of(), null, PlatformHttp.CONTROL_TIMEOUT_MS);
    http.checkStatus(r, "DELETE", path);
  }

  /** Every item of a paged Fn list, following {@code next_cursor}. */
  private List<JsonNode> listAll(String path, Map<String, String> query) throws IOException {
    List<JsonNode> items = new ArrayList<>();
    Map<String, String> q = new LinkedHashMap<>(query);
    q.put("per_page", Integer.toString(PAGE_SIZE));
    while (true) {
      JsonNode page = http.json("GET", withQuery(path, q), null);
      page.path("items").forEach(items::add);
      String next = JsonText.text(page, "next_cursor");
      if (next.isEmpty() || next.equals(q.get("cursor"))) {
        return items;
      }
      q.put("cursor", next);
    }
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
