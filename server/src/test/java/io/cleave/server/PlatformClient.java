package io.cleave.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.bundle.TarGzBundle;
import io.cleave.common.http.Http;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * Talks to a running server over HTTP like a client would: deploy code, invoke, read activations;
 * with the test servers' admin key.
 */
final class PlatformClient {
  static final ObjectMapper JSON = Json.MAPPER;

  private final String base;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  PlatformClient(String base) {
    this.base = base;
  }

  String base() {
    return base;
  }

  HttpResponse<String> send(String method, String path, String body, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Authorization", "Bearer " + Http.TEST_ADMIN_KEY);
    headers.forEach(b::setHeader);
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  HttpResponse<String> invoke(String fnId, String body) {
    return send("POST", "/invoke/" + fnId, body, Map.of("Content-Type", "text/plain"));
  }

  JsonNode json(String method, String path, Object body) {
    try {
      HttpResponse<String> r = send(method, path, body == null ? null : JSON.writeValueAsString(body),
          Map.of("Content-Type", "application/json"));
      if (r.statusCode() != 200) {
        throw new AssertionError(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
      }
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String createApp(String name) {
    return json("POST", "/v2/apps", Map.of("name", name)).get("id").asText();
  }

  /** Creates the function, uploads its code as a bundle, and returns its id. */
  String deploy(String appId, String name, Map<String, Object> settings, Map<String, String> files) {
    return deployBundle(appId, name, settings, TarGzBundle.ofText(files));
  }

  /** Creates the function, uploads {@code bundle} (a tar.gz) as its code, and returns its id. */
  String deployBundle(String appId, String name, Map<String, Object> settings, byte[] bundle) {
    ObjectNode fn = JSON.createObjectNode().put("name", name).put("app_id", appId);
    settings.forEach((k, v) -> fn.set(k, JSON.valueToTree(v)));
    String id = json("POST", "/v2/fns", fn).get("id").asText();
    HttpResponse<String> r = uploadBundle(id, bundle);
    if (r.statusCode() != 200) {
      throw new AssertionError("bundle upload answered " + r.statusCode() + ": " + r.body());
    }
    return id;
  }

  /** Uploads the files as the function's code bundle ({@code PUT /cleave/v1/fns/{id}/bundle}). */
  HttpResponse<String> uploadBundle(String fnId, Map<String, String> files) {
    return uploadBundle(fnId, TarGzBundle.ofText(files));
  }

  /** Uploads a tar.gz as the function's code bundle. */
  HttpResponse<String> uploadBundle(String fnId, byte[] bundle) {
    HttpRequest put = HttpRequest.newBuilder(URI.create(base + "/cleave/v1/fns/" + fnId + "/bundle"))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/gzip")
        .header("Authorization", "Bearer " + Http.TEST_ADMIN_KEY)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(bundle))
        .build();
    try {
      return http.send(put, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Polls the scrape (gauges refresh every second) until the sample satisfies the condition (20 s at most). */
  void awaitMetric(String sample, java.util.function.DoublePredicate ok, String what) throws InterruptedException {
    long end = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    double v = metric(sample);
    while (!ok.test(v)) {
      if (System.nanoTime() > end) {
        throw new AssertionError(what + ": " + sample + " is still " + v);
      }
      Thread.sleep(200);
      v = metric(sample);
    }
  }

  /** The value of an unlabelled or labelled sample in the Prometheus scrape; a missing one fails the test. */
  /** The sum of the samples of {@code name} whose labels contain every one of {@code labels} (e.g. {@code fn="X"}). */
  double metricSum(String name, String... labels) {
    double sum = 0;
    for (String line : send("GET", "/metrics", null, Map.of()).body().split("\n")) {
      if (line.startsWith(name + "{") && java.util.Arrays.stream(labels).allMatch(line::contains)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    return sum;
  }

  double metric(String sample) {
    String text = send("GET", "/metrics", null, Map.of()).body();
    for (String line : text.split("\n")) {
      if (line.startsWith(sample + " ")) {
        return Double.parseDouble(line.substring(sample.length() + 1).trim());
      }
    }
    throw new AssertionError("no sample " + sample + " in /metrics");
  }
}
