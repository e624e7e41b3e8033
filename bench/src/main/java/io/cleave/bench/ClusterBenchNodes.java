package io.cleave.bench;

import io.cleave.bench.replay.PrometheusText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The cluster's nodes as the benchmark watches them: each node's {@code /metrics} gauges
 * {@code cleave_seeds} and {@code cleave_instances} (every state but parked), read on demand (to wait until a
 * function's instances idled out) and sampled in the background, each sample labelled with the
 * function being measured, for {@code seeds_per_function}. The gauges are recounted every second
 * on the node, so a sample can be up to a second old.
 */
final class ClusterBenchNodes implements AutoCloseable {
  static final long SAMPLE_PERIOD_MS = 250;
  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  /** One node's gauges; -1 when the node did not answer. */
  record Load(int seeds, int instances) {
    static final Load UNKNOWN = new Load(-1, -1);
  }

  /** The gauges of every node at one moment, while {@code phase} was measured. */
  record Sample(double tMs, String phase, List<Load> nodes) {
    /** Seeds summed over the nodes that answered. */
    int seeds() {
      return nodes.stream().mapToInt(Load::seeds).filter(v -> v >= 0).sum();
    }
  }

  private final List<String> urls;
  private final String authorization;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private final long originNanos;
  private final List<Sample> samples = new ArrayList<>();
  private volatile String phase = "";
  private volatile boolean stopped;
  private final Thread sampler;

  ClusterBenchNodes(List<String> urls, String adminKey, long originNanos) {
    this.urls = List.copyOf(urls);
    this.authorization = "Bearer " + adminKey;
    this.originNanos = originNanos;
    this.sampler = new Thread(this::sampleLoop, "cluster-bench-sampler");
    sampler.setDaemon(true);
  }

  void startSampling() {
    sampler.start();
  }

  /** Labels the following samples; "" for between functions (not counted). */
  void phase(String label) {
    this.phase = label;
  }

  /** Pages remote children got, summed over nodes: over the network from the seed's page server, or from the node's page cache. */
  record RemotePages(double network, double cache) {
    /** The share of the pages remote children needed that crossed the network; null before any page. */
    Double fetchedRatio() {
      return network + cache > 0 ? network / (network + cache) : null;
    }
  }

  /** What the remote children on {@code nodes} (0-based) got so far, from each node's /metrics counters. */
  RemotePages remotePages(List<Integer> nodes) throws IOException {
    double network = 0;
    double cache = 0;
    for (int k : nodes) {
      try {
        HttpResponse<String> r = http.send(metrics(k), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          throw new IOException("node " + (k + 1) + "'s /metrics answered " + r.statusCode());
        }
        PrometheusText text = PrometheusText.parse(r.body());
        network += text.sum("cleave_remote_fork_pages_total", "source", "network");
        cache += text.sum("cleave_remote_fork_pages_total", "source", "cache");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while reading node " + (k + 1) + "'s /metrics", e);
      }
    }
    return new RemotePages(network, cache);
  }

  /** A scrape of node k's /metrics (0-based), with the cluster's admin key. */
  private HttpRequest metrics(int k) {
    return HttpRequest.newBuilder(URI.create(urls.get(k) + "/metrics")).header("Authorization", authorization)
        .timeout(TIMEOUT).GET().build();
  }

  /** Node k's gauges now (0-based). */
  Load load(int k) {
    try {
      HttpResponse<String> r = http.send(metrics(k), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return Load.UNKNOWN;
      }
      PrometheusText text = PrometheusText.parse(r.body());
      // Children parked ahead (--fork-ahead) wait for calls and never idle out: not instances that run.
      return new Load((int) text.sum("cleave_seeds", null, null),
          (int) (text.sum("cleave_instances", null, null) - text.sum("cleave_instances", "state", "parked")));
    } catch (IOException | IllegalStateException e) {
      return Load.UNKNOWN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Load.UNKNOWN;
    }
  }

  /**
   * Waits until every node in {@code nodes} (0-based) runs no instance and, unless negative, exactly
   * {@code seeds} seeds in all; fails naming {@code what} after {@code timeoutMs}.
   */
  void await(List<Integer> nodes, int seeds, long timeoutMs, String what) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (true) {
      List<Load> loads = nodes.stream().map(this::load).toList();
      boolean idle = loads.stream().allMatch(l -> l.instances() == 0);
      int seedSum = loads.stream().mapToInt(Load::seeds).sum();
      if (idle && (seeds < 0 || seedSum == seeds) && loads.stream().allMatch(l -> l.seeds() >= 0)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("waited " + timeoutMs / 1000 + " s for " + what + "; the nodes' gauges: " + loads);
      }
      LockSupport.parkNanos(50_000_000L);
    }
  }

  private void sampleLoop() {
    while (!stopped) {
      long next = System.nanoTime() + SAMPLE_PERIOD_MS * 1_000_000;
      String label = phase;
      List<Load> loads = new ArrayList<>();
      for (int k = 0; k < urls.size(); k++) {
        loads.add(load(k));
      }
      synchronized (samples) {
        samples.add(new Sample((System.nanoTime() - originNanos) / 1e6, label, List.copyOf(loads)));
      }
      LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
    }
  }

  List<Sample> samples() {
    synchronized (samples) {
      return List.copyOf(samples);
    }
  }

  /** The most seeds summed over the nodes at any sample of a phase; -1 without a sample. */
  int mostSeeds(String label) {
    return samples().stream().filter(s -> s.phase().equals(label)).mapToInt(Sample::seeds).max().orElse(-1);
  }

  /** Samples of a phase in which some node did not answer. */
  long partialSamples(String label) {
    return samples().stream().filter(s -> s.phase().equals(label) && s.nodes().contains(Load.UNKNOWN)).count();
  }

  @Override
  public void close() {
    stopped = true;
    sampler.interrupt();
    try {
      sampler.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
