package io.cleave.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.JsonText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one node's API says about itself: the members it sees ({@code /cleave/v1/cluster}) and its
 * load ({@code /metrics}: instances, seeds, memory of instances and seeds). Short timeouts: a node
 * that does not answer at once is reported as not answering, never waited for here.
 */
final class NodeProbe {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private final String adminKey;

  /** A probe sending the cluster's admin key ({@code /cleave/v1/cluster} and {@code /metrics} need one); null: none. */
  NodeProbe(String adminKey) {
    this.adminKey = adminKey;
  }

  /** The node's view of the cluster: its name and the members' API URLs. */
  record Membership(String clusterName, List<String> memberApiUrls) {}

  record Load(long instances, long seeds, long memoryBytes) {}

  Optional<Membership> membership(String apiUrl) {
    return get(apiUrl + "/cleave/v1/cluster").flatMap(body -> {
      try {
        JsonNode root = JsonText.parse(body);
        List<String> urls = new ArrayList<>();
        root.path("members").forEach(m -> urls.add(m.path("api_url").asText(m.path("address").asText())));
        return Optional.of(new Membership(root.path("name").asText(), urls));
      } catch (IOException e) {
        return Optional.empty();
      }
    });
  }

  Optional<Load> load(String apiUrl) {
    return get(apiUrl + "/metrics").map(NodeProbe::parseMetrics);
  }

  /** Sums the gauges {@code cleave_instances} (every state), {@code cleave_seeds}, {@code cleave_instance_memory_bytes}. */
  static Load parseMetrics(String text) {
    double instances = 0;
    double seeds = 0;
    double memory = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      if (space < 0) {
        continue;
      }
      String series = line.substring(0, space);
      String metric = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
      double value;
      try {
        value = Double.parseDouble(line.substring(space + 1));
      } catch (NumberFormatException e) {
        continue;
      }
      switch (metric) {
        case "cleave_instances" -> instances += value;
        case "cleave_seeds" -> seeds += value;
        case "cleave_instance_memory_bytes" -> memory += value;
        default -> { }
      }
    }
    return new Load((long) instances, (long) seeds, (long) memory);
  }

  private Optional<String> get(String url) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET();
      if (adminKey != null) {
        request.header("Authorization", "Bearer " + adminKey);
      }
      HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
