package io.cleave.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Cleave's flow routes ({@code /cleave/v1/flows}, {@code /cleave/v1/runs}), blocking. */
public final class FlowsClient {
  private final PlatformHttp http;

  /** {@code apiKey} is sent with every request (null: none). */
  public FlowsClient(String baseUrl, String apiKey) {
    this.http = new PlatformHttp(baseUrl, apiKey);
  }

  /** The app's flow of that name, if there is one. */
  public Optional<JsonNode> find(String appId, String name) throws IOException {
    JsonNode page = http.json("GET", PlatformClient.withQuery("/cleave/v1/flows",
        Map.of("app_id", appId, "name", name)), null);
    for (JsonNode f : page.path("items")) {
      if (name.equals(JsonText.text(f, "name"))) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  public JsonNode create(ObjectNode flow) throws IOException {
    return http.json("POST", "/cleave/v1/flows", flow);
  }

  public JsonNode update(String id, ObjectNode flow) throws IOException {
    return http.json("PUT", "/cleave/v1/flows/" + PlatformClient.segment(id), flow);
  }

  /**
   * Starts a run with {@code input} (JSON text); {@code detached} answers as soon as it is stored.
   * Answers the run whatever its end: a failed run is a 502 carrying the run.
   */
  public JsonNode run(String flowId, String input, boolean detached) throws IOException {
    String path = "/cleave/v1/flows/" + PlatformClient.segment(flowId) + "/runs";
    Map<String, String> headers = detached ? Map.of("Content-Type", "application/json", "Fn-Invoke-Type", "detached")
        : Map.of("Content-Type", "application/json");
    ApiResponse r = http.send("POST", path, headers, input.getBytes(StandardCharsets.UTF_8), 0);
    if (r.status() != 200 && r.status() != 202 && !(r.status() == 502 && isRun(r.body()))) {
      http.checkStatus(r, "POST", path);
    }
    return Json.MAPPER.readTree(r.body());
  }

  /** A run by id, with its steps; empty when the server has no such run. */
  public Optional<JsonNode> findRun(String runId) throws IOException {
    String path = "/cleave/v1/runs/" + PlatformClient.segment(runId);
    ApiResponse r = http.send("GET", path, Map.of("Accept", "application/json"), null, PlatformHttp.CONTROL_TIMEOUT_MS);
    if (r.status() == 404) {
      return Optional.empty();
    }
    http.checkStatus(r, "GET", path);
    return Optional.of(Json.MAPPER.readTree(r.body()));
  }

  /** Runs newest first; {@code appId} and {@code flowId} filter when not null. */
  public List<JsonNode> runs(String appId, String flowId, int limit) throws IOException {
    Map<String, String> q = new java.util.LinkedHashMap<>();
    q.put("app_id", appId);
    q.put("flow_id", flowId);
    q.put("per_page", Integer.toString(limit));
    List<JsonNode> out = new ArrayList<>();
    http.json("GET", PlatformClient.withQuery("/cleave/v1/runs", q), null).path("items").forEach(out::add);
    return out;
  }

  private static boolean isRun(byte[] body) {
    try {
      return Json.MAPPER.readTree(body).has("steps");
    } catch (IOException e) {
      return false;
    }
  }
}
